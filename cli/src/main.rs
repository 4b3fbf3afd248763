//! `refold`: mint or revoke a session token, manage linked accounts or call any operation of
//! Refold's API from the shell, or run the local Refold emulator.

mod api;
mod logging;

use std::io::Read as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, CommandFactory as _, Parser, Subcommand};
use refold_session::host::{self, Dialect, HostInfo, HostValue};
use refold_session::{
    Client, Error, ErrorCode, LinkedAccountInput, LinkedAccountPage, MAX_SESSION_TOKEN_BYTES,
    SessionToken,
};

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
    /// Mint a session token for a linked account (API key from REFOLD_API_KEY), or revoke one.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Token {
        /// The end-user's linked account id (`refold token -- revoke` for an account named so).
        linked_account_id: Option<String>,
        /// Print {"token","linked_account_id","expires_at","issued_at","refresh_token",
        /// "refresh_expires_at"} instead of the bare token.
        #[arg(long)]
        json: bool,
        /// Ask Refold for a new token instead of the account's current one.
        #[arg(long)]
        fresh: bool,
        #[command(flatten)]
        client: ClientArgs,
        #[command(subcommand)]
        action: Option<TokenAction>,
    },
    /// Create, read, list or delete linked accounts (JSON on stdout).
    Account {
        #[command(subcommand)]
        action: AccountAction,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Call any operation of Refold's API by its operationId (JSON on stdout); --list shows
    /// them.
    Api(api::ApiArgs),
    /// Print a shell completion script (operation ids complete after `refold api`).
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
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
        /// Lifetime of minted tokens in seconds (exp = iat + this; default 604800, 7 days, or
        /// 86400 with --legacy-session-token).
        #[arg(long, value_name = "SECONDS")]
        token_ttl: Option<u64>,
        /// Answer session-token requests as Refold's older guide did: {"token"} only, a new
        /// token every time, 500 for an unknown account.
        #[arg(long)]
        legacy_session_token: bool,
        /// Requests admitted per API key: RATE/s[,BURST] or RATE/min[,BURST], or off.
        #[arg(long, value_name = "LIMIT", default_value = "20/s,5", value_parser = rate_limit)]
        rate_limit: RateLimitArg,
        /// Wait before the first retry of a failed webhook delivery, in milliseconds (then twice
        /// as long each time; 1 to 60000).
        #[arg(long, value_name = "MS", default_value_t = 1000)]
        webhook_backoff_ms: u64,
        /// How long a minute of the schedule clock lasts, in milliseconds (10 to 3600000).
        #[arg(long, value_name = "MS", default_value_t = 60000)]
        schedule_minute_ms: u64,
    },
    /// What the core declares once (options per host, error codes, records), as JSON: read by
    /// the code generator.
    #[command(name = "__describe", hide = true)]
    Describe,
}

#[derive(Subcommand)]
enum TokenAction {
    /// Revoke a session token (authenticated by the token; no API key needed). Prints
    /// {"success","revoked_count"}.
    Revoke {
        /// The token; read from stdin when absent (so it stays out of the shell history).
        token: Option<String>,
        #[command(flatten)]
        client: ClientArgs,
    },
}

#[derive(Subcommand)]
enum AccountAction {
    /// Create the linked account, or update it if it exists.
    Upsert {
        /// The end-user's linked account id.
        linked_account_id: String,
        /// A display name.
        #[arg(long)]
        name: Option<String>,
        /// A user-defined field, as KEY=VALUE (repeatable; values are sent as strings).
        #[arg(long = "udf", value_name = "KEY=VALUE", value_parser = key_value)]
        udf: Vec<(String, String)>,
    },
    /// Print one linked account.
    Get { linked_account_id: String },
    /// Print a page of linked accounts, or every account with --all.
    List {
        /// The page, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Accounts per page, 1 to 100.
        #[arg(long, default_value_t = refold_session::DEFAULT_PAGE_LIMIT)]
        limit: u32,
        /// Every page, one account per line (JSON lines).
        #[arg(long)]
        all: bool,
    },
    /// Delete a linked account.
    Delete { linked_account_id: String },
    /// Print the linked account a session token belongs to (authenticated by the token).
    Active {
        /// The token; read from stdin when absent (so it stays out of the shell history).
        token: Option<String>,
    },
}

/// The client options every command that calls Refold takes. Values are passed to the core
/// as given; it validates them and words the errors.
#[derive(Args)]
struct ClientArgs {
    /// production, sandbox or staging (default: REFOLD_ENVIRONMENT, else production).
    #[arg(long, global = true)]
    environment: Option<String>,
    /// Overrides the environment's URL (https://, or http:// to loopback).
    #[arg(long, global = true)]
    base_url: Option<String>,
    /// Per-attempt timeout in seconds (default 30).
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        allow_negative_numbers = true
    )]
    timeout: Option<f64>,
    /// Retries after the first attempt (default 2; 0 disables retries).
    #[arg(long, global = true, value_name = "N", allow_negative_numbers = true)]
    max_retries: Option<f64>,
}

impl ClientArgs {
    /// The client of these flags, read by the core's option table in the CLI's words.
    fn client(self) -> Result<Client, Error> {
        let text = |value: Option<String>| value.map_or(HostValue::Missing, HostValue::Text);
        let number = |value: Option<f64>| value.map_or(HostValue::Missing, HostValue::Number);
        let flags = HostValue::map(vec![
            ("--environment", text(self.environment)),
            ("--base-url", text(self.base_url)),
            ("--timeout", number(self.timeout)),
            ("--max-retries", number(self.max_retries)),
        ]);
        let options = host::client_options(&flags, &Dialect::CLI)?;
        host::build_client(
            options,
            HostInfo::new(Dialect::CLI, env!("CARGO_PKG_VERSION")),
        )
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init();
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
            action: Some(TokenAction::Revoke { token, client }),
            ..
        } => runtime.block_on(revoke(token, client)),
        Command::Token {
            linked_account_id: Some(linked_account_id),
            json,
            fresh,
            client,
            action: None,
        } => runtime.block_on(mint(linked_account_id, json, fresh, client)),
        Command::Token { .. } => {
            eprintln!("error[invalid_input]: give a linked account id, or `revoke`.");
            ExitCode::from(2)
        }
        Command::Account { action, client } => runtime.block_on(account(action, client)),
        Command::Api(args) => runtime.block_on(api::run(args)),
        Command::Completion { shell } => {
            completion(shell);
            ExitCode::SUCCESS
        }
        Command::Describe => {
            print_json(&host::describe());
            ExitCode::SUCCESS
        }
        Command::Emulator {
            addr,
            api_keys,
            linked_accounts,
            any_linked_account,
            token_ttl,
            legacy_session_token,
            rate_limit,
            webhook_backoff_ms,
            schedule_minute_ms,
        } => runtime.block_on(emulator(refold_emulator::EmulatorConfig {
            addr,
            api_keys,
            linked_accounts,
            any_linked_account,
            token_ttl: match token_ttl {
                Some(seconds) => std::time::Duration::from_secs(seconds),
                None if legacy_session_token => refold_emulator::LEGACY_TOKEN_TTL,
                None => refold_emulator::DEFAULT_TOKEN_TTL,
            },
            legacy_session_token,
            rate_limit: rate_limit.0,
            webhook_backoff: std::time::Duration::from_millis(webhook_backoff_ms),
            schedule_minute: std::time::Duration::from_millis(schedule_minute_ms),
            ..Default::default()
        })),
    }
}

async fn mint(linked_account_id: String, json: bool, fresh: bool, args: ClientArgs) -> ExitCode {
    let options = refold_session::RequestOptions {
        fresh,
        ..Default::default()
    };
    let result = match args.client() {
        Ok(client) => {
            client
                .get_token_for_linked_account_with(&linked_account_id, options)
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
        Err(err) => report(&err),
    }
}

async fn revoke(token: Option<String>, args: ClientArgs) -> ExitCode {
    let result = match (token_argument(token), args.client()) {
        (Ok(token), Ok(client)) => client.revoke_session_token(&token).await,
        (Err(err), _) | (_, Err(err)) => Err(err),
    };
    match result {
        Ok(revoked) => {
            print_json(&serde_json::json!({
                "success": revoked.success,
                "revoked_count": revoked.revoked_count,
            }));
            ExitCode::SUCCESS
        }
        Err(err) => report(&err),
    }
}

/// The token argument, else stdin's first line (at most a token's length); never echoed.
fn token_argument(token: Option<String>) -> Result<String, Error> {
    if let Some(token) = token {
        return Ok(token);
    }
    let mut read = Vec::new();
    std::io::stdin()
        .take(MAX_SESSION_TOKEN_BYTES as u64 + 2)
        .read_to_end(&mut read)
        .map_err(|_| Error::internal("reading the token from stdin failed"))?;
    // Not UTF-8, too long, blank: the core refuses it in its own words.
    let text = String::from_utf8_lossy(&read);
    Ok(text.lines().next().unwrap_or("").trim().to_owned())
}

async fn account(action: AccountAction, args: ClientArgs) -> ExitCode {
    let client = match args.client() {
        Ok(client) => client,
        Err(err) => return report(&err),
    };
    let printed = match action {
        AccountAction::Upsert {
            linked_account_id,
            name,
            udf,
        } => {
            let input = LinkedAccountInput {
                linked_account_id,
                name,
                udf: (!udf.is_empty()).then(|| {
                    udf.into_iter()
                        .map(|(key, value)| (key, serde_json::Value::String(value)))
                        .collect()
                }),
                your_app: None,
            };
            client
                .upsert_linked_account(&input)
                .await
                .map(|account| print_json(account.json()))
        }
        AccountAction::Get { linked_account_id } => client
            .get_linked_account(&linked_account_id)
            .await
            .map(|account| print_json(account.json())),
        AccountAction::Delete { linked_account_id } => client
            .delete_linked_account(&linked_account_id)
            .await
            .map(|answer| print_json(&answer)),
        AccountAction::Active { token } => match token_argument(token) {
            Ok(token) => client
                .get_active_linked_account(&token)
                .await
                .map(|account| print_json(account.json())),
            Err(err) => Err(err),
        },
        AccountAction::List {
            all: true, limit, ..
        } => {
            let accounts = client.linked_accounts(limit);
            futures_util::pin_mut!(accounts);
            loop {
                match futures_util::StreamExt::next(&mut accounts).await {
                    Some(Ok(account)) => print_json(account.json()),
                    Some(Err(err)) => break Err(err),
                    None => break Ok(()),
                }
            }
        }
        AccountAction::List { page, limit, .. } => client
            .list_linked_accounts(page, limit)
            .await
            .map(|page| print_json(&page_json(&page))),
    };
    match printed {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => report(&err),
    }
}

/// The completion script of `shell`, offering the operation ids after `refold api` (the
/// parser itself accepts any id, so the core words the refusal of an unknown one).
fn completion(shell: clap_complete::Shell) {
    let ids: Vec<&'static str> = api::operation_ids().collect();
    let mut command = Cli::command().mut_subcommand("api", |api| {
        api.mut_arg("operation_id", |arg| {
            arg.value_parser(clap::builder::PossibleValuesParser::new(ids.clone()))
        })
    });
    clap_complete::generate(shell, &mut command, "refold", &mut std::io::stdout());
    // clap_complete's fish script leaves positional values out.
    if shell == clap_complete::Shell::Fish {
        println!(
            "complete -c refold -n \"__fish_refold_using_subcommand api\" -f -a \"{}\"",
            ids.join(" ")
        );
    }
}

/// One `--udf KEY=VALUE` argument (command-line syntax; the core checks the values).
/// `--rate-limit`: a limit, or `None` for `off`.
#[derive(Clone)]
struct RateLimitArg(Option<refold_emulator::RateLimit>);

fn rate_limit(text: &str) -> Result<RateLimitArg, String> {
    refold_emulator::RateLimit::parse(text).map(RateLimitArg)
}

fn key_value(pair: &str) -> Result<(String, String), String> {
    pair.split_once('=')
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("expected KEY=VALUE, got {pair:?}"))
}

fn page_json(page: &LinkedAccountPage) -> serde_json::Value {
    serde_json::json!({
        "accounts": page.accounts.iter().map(|a| serde_json::Value::Object(a.json().clone())).collect::<Vec<_>>(),
        "page": page.page,
        "limit": page.limit,
        "total": page.total,
        "total_pages": page.total_pages,
        "paging_counter": page.paging_counter,
        "prev_page": page.prev_page,
        "next_page": page.next_page,
    })
}

fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string(value).expect("JSON values always serialise")
    );
}

/// `error[<code>]: <message>`, and Refold's own code when it sent one.
fn report(err: &Error) -> ExitCode {
    match err.server_code() {
        Some(server_code) => eprintln!(
            "error[{}]: {} (Refold's code: {server_code})",
            err.code(),
            err.message()
        ),
        None => eprintln!("error[{}]: {}", err.code(), err.message()),
    }
    ExitCode::from(exit_code(err))
}

/// `--json` output; a struct so the fields keep the documented order.
#[derive(serde::Serialize)]
struct TokenJson<'a> {
    token: &'a str,
    linked_account_id: &'a str,
    expires_at: String,
    issued_at: Option<String>,
    refresh_token: Option<&'a str>,
    refresh_expires_at: Option<String>,
}

fn token_json(session: &SessionToken) -> String {
    serde_json::to_string(&TokenJson {
        token: session.token(),
        linked_account_id: session.linked_account_id(),
        expires_at: refold_session::format_rfc3339(session.expires_at()),
        issued_at: session.issued_at().map(refold_session::format_rfc3339),
        refresh_token: session.refresh_token(),
        refresh_expires_at: session
            .refresh_expires_at()
            .map(refold_session::format_rfc3339),
    })
    .expect("strings always serialise")
}

/// The exit codes of docs/contract.md §CLI, one per family of failure.
fn exit_code(err: &Error) -> u8 {
    match err.code() {
        ErrorCode::Internal => 1,
        ErrorCode::InvalidInput | ErrorCode::Configuration => 2,
        ErrorCode::Authentication | ErrorCode::PermissionDenied => 3,
        ErrorCode::InvalidLinkedAccount | ErrorCode::NotFound | ErrorCode::BadRequest => 4,
        ErrorCode::RateLimited => 5,
        ErrorCode::Timeout | ErrorCode::Connection => 7,
        _ => 6,
    }
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
