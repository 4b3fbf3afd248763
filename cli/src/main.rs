//! `refold`: mint a session token from the shell, or run the local Refold emulator.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};
use refold_session::{Client, Error, ErrorCode, SessionToken};

#[derive(Parser)]
#[command(
    name = "refold",
    version,
    about = "Mint Refold session tokens; run the Refold emulator."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Mint a session token for a linked account (API key from REFOLD_API_KEY).
    Token {
        /// The end-user's linked account id.
        linked_account_id: String,
        /// Print {"token","linked_account_id","expires_at","issued_at"} instead of the bare token.
        #[arg(long)]
        json: bool,
        /// production, sandbox or staging (default: REFOLD_ENVIRONMENT, else production).
        #[arg(long)]
        environment: Option<String>,
        /// Overrides the environment's URL (https://, or http:// to loopback).
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Run the Refold API emulator on loopback until stopped.
    Emulator {
        /// Loopback address to bind; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8787")]
        addr: SocketAddr,
        /// An accepted API key (repeatable; default "emulator-key").
        #[arg(long = "api-key")]
        api_keys: Vec<String>,
        /// A linked account that exists (repeatable).
        #[arg(long = "linked-account")]
        linked_accounts: Vec<String>,
        /// Treat every linked account id as existing.
        #[arg(long)]
        any_linked_account: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    match cli.command {
        Command::Token {
            linked_account_id,
            json,
            environment,
            base_url,
        } => runtime.block_on(token(linked_account_id, json, environment, base_url)),
        Command::Emulator {
            addr,
            api_keys,
            linked_accounts,
            any_linked_account,
        } => runtime.block_on(emulator(refold_emulator::EmulatorConfig {
            addr,
            api_keys,
            linked_accounts,
            any_linked_account,
            ..Default::default()
        })),
    }
}

async fn token(
    linked_account_id: String,
    json: bool,
    environment: Option<String>,
    base_url: Option<String>,
) -> ExitCode {
    let mut builder = Client::builder().binding("cli", env!("CARGO_PKG_VERSION"));
    if let Some(environment) = environment {
        builder = builder.environment_name(environment);
    }
    if let Some(base_url) = base_url {
        builder = builder.base_url(base_url);
    }
    let result = match builder.build() {
        Ok(client) => {
            client
                .get_token_for_linked_account(&linked_account_id)
                .await
        }
        Err(err) => Err(err),
    };
    match result {
        Ok(session) if json => {
            println!("{}", token_json(&session));
            ExitCode::SUCCESS
        }
        Ok(session) => {
            println!("{}", session.token());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error[{}]: {}", err.code(), err.message());
            ExitCode::from(exit_code(&err))
        }
    }
}

/// `--json` output; a struct so the fields keep the documented order.
#[derive(serde::Serialize)]
struct TokenJson<'a> {
    token: &'a str,
    linked_account_id: &'a str,
    expires_at: String,
    issued_at: Option<String>,
}

fn token_json(session: &SessionToken) -> String {
    serde_json::to_string(&TokenJson {
        token: session.token(),
        linked_account_id: session.linked_account_id(),
        expires_at: rfc3339(session.expires_at()),
        issued_at: session.issued_at().map(rfc3339),
    })
    .expect("strings always serialise")
}

/// SPEC §7's exit codes, one per family of failure.
fn exit_code(err: &Error) -> u8 {
    match err.code() {
        ErrorCode::InvalidInput | ErrorCode::Configuration => 2,
        ErrorCode::Authentication | ErrorCode::PermissionDenied => 3,
        ErrorCode::InvalidLinkedAccount | ErrorCode::NotFound | ErrorCode::BadRequest => 4,
        ErrorCode::RateLimited => 5,
        ErrorCode::Timeout | ErrorCode::Connection => 7,
        _ => 6,
    }
}

/// RFC 3339 in UTC with second precision, e.g. `2026-11-25T20:08:19Z`.
fn rfc3339(time: SystemTime) -> String {
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs()) as i64;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

async fn emulator(config: refold_emulator::EmulatorConfig) -> ExitCode {
    let emulator = match refold_emulator::Emulator::start(config).await {
        Ok(emulator) => emulator,
        Err(err) => {
            eprintln!("error: could not start the emulator: {err}");
            return ExitCode::from(1);
        }
    };
    // Test harnesses wait for exactly this line.
    println!("listening on {}", emulator.base_url());
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    wait_for_stop_signal().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

async fn wait_for_stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("installing a SIGTERM handler cannot fail on unix");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_900_000_000)),
            "2030-03-17T17:46:40Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }
}
