//! `refold`: mint a session token from the shell, or run the local Refold emulator.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use refold_session::{Client, ClientOptions, Error, ErrorCode, SessionToken, Timeout};

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
        #[command(flatten)]
        client: ClientArgs,
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

/// The client options every command that calls Refold takes. Values are passed to the core
/// as given; it validates them and words the errors.
#[derive(Args)]
struct ClientArgs {
    /// production, sandbox or staging (default: REFOLD_ENVIRONMENT, else production).
    #[arg(long)]
    environment: Option<String>,
    /// Overrides the environment's URL (https://, or http:// to loopback).
    #[arg(long)]
    base_url: Option<String>,
    /// Per-attempt timeout in seconds (default 30).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    timeout: Option<f64>,
    /// Retries after the first attempt (default 2; 0 disables retries).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    max_retries: Option<f64>,
}

impl ClientArgs {
    fn options(self) -> ClientOptions {
        ClientOptions {
            environment: self.environment,
            base_url: self.base_url,
            timeout: self.timeout.map(Timeout::Seconds),
            max_retries: self.max_retries,
            binding: Some(("cli".into(), env!("CARGO_PKG_VERSION").into())),
            ..ClientOptions::default()
        }
    }
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
            client,
        } => runtime.block_on(token(linked_account_id, json, client.options())),
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

async fn token(linked_account_id: String, json: bool, options: ClientOptions) -> ExitCode {
    let result = match Client::new(options) {
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
        expires_at: refold_session::format_rfc3339(session.expires_at()),
        issued_at: session.issued_at().map(refold_session::format_rfc3339),
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
