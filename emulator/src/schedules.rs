//! Schedules (`/api/v1/workflow/public/scheduled…`): registered per linked
//! account for a published workflow, on a cron expression or at interval
//! dates; listed, updated, paused, resumed, deleted. A running schedule
//! FIRES: the scheduler's clock advances one minute per
//! `schedule_minute` (a real minute by default; tests shorten it) and each
//! minute every running schedule whose cron (or interval date) matches
//! starts an execution of its workflow, at most [`MAX_FIRES`] times per
//! schedule. Times are UTC, or a fixed offset (`+05:30`) given as `tz`;
//! other zone names are read as UTC.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hyper::StatusCode;
use serde_json::{Value, json};

use crate::collection::{Doc, Fields, Scope, page, page_query};
use crate::executions::{self, Source};
use crate::ids::{civil_from_days, now_millis};
use crate::respond::Answer;
use crate::routes::Call;
use crate::state::State;
use crate::workflows;

/// Executions one schedule starts at most.
pub(crate) const MAX_FIRES: u64 = 1000;
/// Interval dates one schedule keeps.
const MAX_INTERVAL_DATES: usize = 100;

/// The scheduler's clock and pace.
pub(crate) struct Scheduler {
    minute_ms: AtomicU64,
    configured_minute_ms: u64,
    /// The scheduler's current minute, in minutes since the Unix epoch.
    clock: AtomicU64,
}

impl Scheduler {
    pub(crate) fn new(minute: Duration) -> Self {
        let ms = u64::try_from(minute.as_millis()).unwrap_or(u64::MAX);
        Self {
            minute_ms: AtomicU64::new(ms),
            configured_minute_ms: ms,
            clock: AtomicU64::new(now_millis() / 60_000),
        }
    }

    pub(crate) fn minute_ms(&self) -> u64 {
        self.minute_ms.load(Ordering::Relaxed)
    }

    pub(crate) fn set_minute_ms(&self, ms: u64) {
        self.minute_ms.store(ms, Ordering::Relaxed);
    }

    /// A reset restores the configured pace (the clock runs on).
    pub(crate) fn reset(&self) {
        self.set_minute_ms(self.configured_minute_ms);
    }
}

/// Runs the scheduler until the emulator stops: one tick per scheduler
/// minute.
pub(crate) async fn run(state: Arc<State>) {
    loop {
        tokio::time::sleep(Duration::from_millis(state.scheduler.minute_ms())).await;
        let minute = state.scheduler.clock.fetch_add(1, Ordering::Relaxed) + 1;
        tick(&state, minute);
    }
}

/// Fires every running schedule due at `minute` (minutes since the epoch).
fn tick(state: &State, minute: u64) {
    let due = state.schedules.select(Scope::Any, |doc| {
        doc.body["status"] == "running"
            && doc.extra["fired"].as_u64().unwrap_or(0) < MAX_FIRES
            && due(&doc.body, minute)
    });
    for schedule in due {
        let account = schedule.account.clone().unwrap_or_default();
        let workflow_id = schedule.body["workflow"].as_str().unwrap_or_default();
        let Ok(workflow) = workflows::runnable(state, Some(&account), workflow_id) else {
            continue;
        };
        let _ = state.schedules.update(&schedule.id, Scope::Any, |doc| {
            let fired = doc.extra["fired"].as_u64().unwrap_or(0) + 1;
            doc.extra["fired"] = json!(fired);
        });
        let config_id = schedule.body["config_id"]
            .as_str()
            .unwrap_or(&account)
            .to_owned();
        let payload = schedule
            .body
            .get("payload")
            .cloned()
            .unwrap_or_else(|| json!({}));
        executions::start(
            state,
            &account,
            &workflow,
            &config_id,
            payload,
            Source::Schedule,
            false,
        );
    }
}

/// Whether the schedule `body` fires at `minute`.
fn due(body: &Fields, minute: u64) -> bool {
    let options = &body["options"];
    let offset = offset_minutes(options["tz"].as_str().unwrap_or("UTC")).unwrap_or(0);
    let local = minute.saturating_add_signed(offset);
    let time = Time::of(local);
    let date = format!("{:04}-{:02}-{:02}", time.year, time.month, time.day);
    if options["startDate"]
        .as_str()
        .is_some_and(|start| date.as_str() < start.get(..10).unwrap_or(start))
        || options["endDate"]
            .as_str()
            .is_some_and(|end| date.as_str() > end.get(..10).unwrap_or(end))
    {
        return false;
    }
    match body["trigger_type"].as_str() {
        Some("cron") => body["cron_patten"]
            .as_str()
            .and_then(|text| Cron::parse(text).ok())
            .is_some_and(|cron| cron.matches(&time)),
        Some("interval") => body["trigger_interval"].as_array().is_some_and(|dates| {
            dates.iter().any(|d| {
                let at = |name: &str| d[name].as_u64();
                at("year") == Some(time.year)
                    && at("month") == Some(time.month)
                    && at("day") == Some(time.day)
                    && at("hour").unwrap_or(0) == time.hour
                    && at("minute").unwrap_or(0) == time.minute
            })
        }),
        _ => false,
    }
}

/// A minute of the calendar.
struct Time {
    year: u64,
    month: u64,
    day: u64,
    hour: u64,
    minute: u64,
    /// 0 is Sunday.
    weekday: u64,
}

impl Time {
    fn of(minutes: u64) -> Time {
        let days = minutes / 1440;
        let (year, month, day) = civil_from_days(days);
        Time {
            year,
            month,
            day,
            hour: minutes / 60 % 24,
            minute: minutes % 60,
            // 1970-01-01 was a Thursday.
            weekday: (days + 4) % 7,
        }
    }
}

/// `UTC` (and its aliases) is 0; `+HH:MM` / `-HH:MM` a fixed offset;
/// `None` for other names (read as UTC).
fn offset_minutes(tz: &str) -> Option<i64> {
    if matches!(tz, "UTC" | "Etc/UTC" | "GMT" | "Etc/GMT" | "Z") {
        return Some(0);
    }
    let sign = match tz.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, minutes) = tz[1..].split_once(':').unwrap_or((&tz[1..], "0"));
    let (hours, minutes) = (hours.parse::<i64>().ok()?, minutes.parse::<i64>().ok()?);
    ((0..=14).contains(&hours) && (0..60).contains(&minutes))
        .then_some(sign * (hours * 60 + minutes))
}

/// A 5-field cron expression (minute, hour, day of month, month, day of
/// week) of numbers, `*`, ranges `a-b`, steps `/n` and lists.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Cron {
    fields: [u64; 5],
    /// Whether day of month / day of week were restricted (then either
    /// matching is enough, as cron does).
    dom_any: bool,
    dow_any: bool,
}

const RANGES: [(u64, u64); 5] = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];
const FIELD_NAMES: [&str; 5] = ["minute", "hour", "day of month", "month", "day of week"];

impl Cron {
    pub(crate) fn parse(text: &str) -> Result<Cron, String> {
        let parts: Vec<&str> = text.split_whitespace().collect();
        if parts.len() != 5 {
            return Err("a cron expression has 5 fields".to_owned());
        }
        let mut fields = [0u64; 5];
        for (index, part) in parts.iter().enumerate() {
            fields[index] = field(part, RANGES[index])
                .ok_or_else(|| format!("the {} field is not valid", FIELD_NAMES[index]))?;
        }
        // Sunday is 0 or 7.
        if fields[4] & (1 << 7) != 0 {
            fields[4] |= 1;
        }
        Ok(Cron {
            fields,
            dom_any: parts[2] == "*",
            dow_any: parts[4] == "*",
        })
    }

    fn matches(&self, time: &Time) -> bool {
        let has = |index: usize, value: u64| self.fields[index] & (1 << value) != 0;
        let dom = has(2, time.day);
        let dow = has(4, time.weekday);
        let day = match (self.dom_any, self.dow_any) {
            (false, false) => dom || dow,
            _ => dom && dow,
        };
        has(0, time.minute) && has(1, time.hour) && has(3, time.month) && day
    }
}

/// One field as a bit set of the values it allows.
fn field(text: &str, (min, max): (u64, u64)) -> Option<u64> {
    let mut bits = 0u64;
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, step.parse::<u64>().ok().filter(|s| *s > 0)?),
            None => (item, 1),
        };
        let (low, high) = if range == "*" {
            (min, max)
        } else if let Some((low, high)) = range.split_once('-') {
            (low.parse().ok()?, high.parse().ok()?)
        } else {
            let value = range.parse().ok()?;
            (value, if item.contains('/') { max } else { value })
        };
        if low < min || high > max || low > high {
            return None;
        }
        let mut value = low;
        while value <= high {
            bits |= 1 << value;
            value += step;
        }
    }
    Some(bits)
}

fn account<'a>(call: &'a Call<'_>) -> &'a str {
    call.caller.account.as_deref().unwrap_or_default()
}

fn not_found() -> Answer {
    Answer::error(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        "Scheduled Job Not Found",
    )
}

/// Checks and applies the trigger members of a register or update body.
fn apply(body: &mut Fields, input: &Value) -> Result<(), Answer> {
    let mut options = body
        .get("options")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(kind) = input["trigger_type"].as_str() {
        body.insert("trigger_type".into(), json!(kind));
        options.insert("trigger_type".into(), json!(kind));
    }
    if let Some(cron) = input["regex"].as_str() {
        Cron::parse(cron).map_err(|problem| {
            Answer::bad_request(&format!("regex is not a valid cron expression: {problem}"))
        })?;
        body.insert("cron_patten".into(), json!(cron));
    }
    if let Some(dates) = input["interval_dates"].as_array() {
        if dates.len() > MAX_INTERVAL_DATES {
            return Err(Answer::bad_request(&format!(
                "interval_dates has more than {MAX_INTERVAL_DATES} dates"
            )));
        }
        body.insert("trigger_interval".into(), Value::Array(dates.clone()));
    }
    for name in ["startDate", "endDate"] {
        if let Some(date) = input[name].as_str() {
            if !is_date(date) {
                return Err(Answer::bad_request(&format!(
                    "{name} must be a date (YYYY-MM-DD)"
                )));
            }
            options.insert(name.into(), json!(date));
        }
    }
    if let Some(tz) = input["tz"].as_str() {
        options.insert("tz".into(), json!(tz));
    }
    if let Some(payload) = input.get("payload").filter(|p| p.is_object()) {
        body.insert("payload".into(), payload.clone());
    }
    body.insert("options".into(), Value::Object(options));
    match body["trigger_type"].as_str() {
        Some("cron") if body["cron_patten"].as_str().is_none_or(str::is_empty) => {
            Err(Answer::bad_request("regex is required for a cron trigger"))
        }
        Some("interval")
            if body["trigger_interval"]
                .as_array()
                .is_none_or(Vec::is_empty) =>
        {
            Err(Answer::bad_request(
                "interval_dates is required for an interval trigger",
            ))
        }
        _ => Ok(()),
    }
}

fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 10
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

/// `POST /api/v1/workflow/public/scheduled` (headers `slug`,
/// `workflow_id_alias`, `config_id`): the workflow must be published.
pub(crate) fn register(state: &State, call: &Call<'_>) -> Answer {
    let account = account(call);
    let Some(input) = &call.json else {
        return Answer::bad_request("trigger_type is required");
    };
    let workflow_id = call.header("workflow_id_alias").unwrap_or_default();
    let workflow = match workflows::runnable(state, Some(account), workflow_id) {
        Ok(workflow) => workflow,
        Err(refused) => return refused,
    };
    let id = state.new_id();
    let body = json!({
        "_id": id,
        "event_id": state.new_id(),
        "workflow": workflow.id,
        "config_id": call.header("config_id").unwrap_or(account),
        "linked_account_id": account,
        "environment": "test",
        "org_id": state.accounts.org(),
        "trigger_type": input["trigger_type"],
        "cron_patten": "",
        "trigger_interval": [],
        "status": "running",
        "inactive": false,
        "registered_by_api": true,
        "options": {},
        "payload": {},
    });
    let mut body = Fields::of(body);
    if let Err(refused) = apply(&mut body, input) {
        return refused;
    }
    let mut doc = Doc::new(id, Some(account.to_owned()), body);
    doc.extra = json!({"fired": 0});
    match state.schedules.insert(doc) {
        Ok(body) => Answer::ok(&body),
        Err(refused) => refused,
    }
}

/// `GET /api/v1/workflow/public/scheduled`: the account's schedules, each
/// with its workflow.
pub(crate) fn list(state: &State, call: &Call<'_>) -> Answer {
    let docs: Vec<Value> = state
        .schedules
        .select(Scope::Account(account(call)), |_| true)
        .into_iter()
        .map(|doc| {
            let mut body = doc.body;
            let id = body["workflow"].as_str().unwrap_or_default().to_owned();
            let workflow = state.workflows.get(&id, Scope::Any).map_or_else(
                || json!({"_id": id}),
                |w| {
                    let (summary, app) = workflows::summary(&w);
                    json!({
                        "_id": w.id,
                        "name": summary["name"],
                        "associated_application": app.map(|(index, app)| {
                            json!({"_id": workflows::application_id(index), "name": app.name})
                        }),
                    })
                },
            );
            body.insert("workflow".into(), workflow);
            Value::from(body)
        })
        .collect();
    let (page_number, limit) = page_query(call, 10);
    Answer::ok(&page(docs, page_number, limit, "docs"))
}

fn change(
    state: &State,
    call: &Call<'_>,
    edit: impl FnOnce(&mut Fields) -> Result<(), Answer>,
) -> Answer {
    let id = call.path_param("schedule_id").unwrap_or_default();
    match state
        .schedules
        .update(&id, Scope::Account(account(call)), |doc| {
            let mut body = doc.body.clone();
            edit(&mut body)?;
            doc.body = body;
            Ok(())
        }) {
        Some(Ok((Ok(()), doc))) => Answer::ok(&doc.body),
        Some(Ok((Err(refused), _))) | Some(Err(refused)) => refused,
        None => not_found(),
    }
}

/// `PUT …/scheduled/{schedule_id}`: cron, interval dates, window, zone,
/// payload.
pub(crate) fn update(state: &State, call: &Call<'_>) -> Answer {
    let input = call.json.clone().unwrap_or_else(|| json!({}));
    change(state, call, |body| apply(body, &input))
}

/// `PUT …/scheduled/{schedule_id}/pause`: it stops firing.
pub(crate) fn pause(state: &State, call: &Call<'_>) -> Answer {
    change(state, call, |body| {
        body.insert("status".into(), json!("paused"));
        body.insert("inactive".into(), json!(true));
        Ok(())
    })
}

/// `PUT …/scheduled/{schedule_id}/resume`: it fires again.
pub(crate) fn resume(state: &State, call: &Call<'_>) -> Answer {
    change(state, call, |body| {
        body.insert("status".into(), json!("running"));
        body.insert("inactive".into(), json!(false));
        Ok(())
    })
}

/// `DELETE …/scheduled/{schedule_id}`.
pub(crate) fn delete(state: &State, call: &Call<'_>) -> Answer {
    let id = call.path_param("schedule_id").unwrap_or_default();
    match state.schedules.remove(&id, Scope::Account(account(call))) {
        Some(_) => Answer::ok(&json!({ "message": "Scheduled Job Deleted Successfully" })),
        None => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(year: u64, month: u64, day: u64, hour: u64, minute: u64) -> Time {
        // Days from the civil date, by search (tests only).
        let mut days = 0;
        while civil_from_days(days) != (year, month, day) {
            days += 1;
        }
        Time::of(days * 1440 + hour * 60 + minute)
    }

    #[test]
    fn cron_expressions() {
        let monday_nine = at(2026, 7, 6, 9, 0);
        assert_eq!(monday_nine.weekday, 1);
        assert!(Cron::parse("0 9 * * 1").unwrap().matches(&monday_nine));
        assert!(!Cron::parse("0 9 * * 2").unwrap().matches(&monday_nine));
        assert!(
            Cron::parse("*/15 8-10 * * *")
                .unwrap()
                .matches(&monday_nine)
        );
        assert!(Cron::parse("0 9 6 * 5").unwrap().matches(&monday_nine));
        assert!(
            Cron::parse("0 9 * * 7")
                .unwrap()
                .matches(&at(2026, 7, 5, 9, 0))
        );
        assert!(
            Cron::parse("5,10 * * * *")
                .unwrap()
                .matches(&at(2026, 1, 1, 0, 10))
        );
        for bad in [
            "",
            "* * * *",
            "60 * * * *",
            "* * * * 8",
            "a * * * *",
            "*/0 * * * *",
            "5-1 * * * *",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zones_and_windows() {
        assert_eq!(offset_minutes("UTC"), Some(0));
        assert_eq!(offset_minutes("+05:30"), Some(330));
        assert_eq!(offset_minutes("-08:00"), Some(-480));
        assert_eq!(offset_minutes("Europe/Paris"), None);
        let body = json!({
            "trigger_type": "cron",
            "cron_patten": "* * * * *",
            "options": {"startDate": "2026-07-01", "endDate": "2026-07-31"},
        });
        let body = &Fields::of(body);
        let minute = |t: Time| {
            let mut days = 0;
            while civil_from_days(days) != (t.year, t.month, t.day) {
                days += 1;
            }
            days * 1440 + t.hour * 60 + t.minute
        };
        assert!(due(body, minute(at(2026, 7, 15, 0, 0))));
        assert!(!due(body, minute(at(2026, 6, 30, 23, 59))));
        assert!(!due(body, minute(at(2026, 8, 1, 0, 0))));
    }
}
