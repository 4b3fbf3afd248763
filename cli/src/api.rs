//! `refold api`: any operation of Refold's API from the shell through the core's generic call
//! (docs/contract.md §17), `--list` of the operations, and the operation ids shell completion
//! offers. The CLI only reads its arguments; the core checks and sends the call.

use std::io::Read as _;
use std::process::ExitCode;

use clap::Args;
use refold_session::api::{
    self, ApiFile, ApiRequest, LinkedAccountHeader, MAX_REQUEST_BODY_BYTES, MAX_UPLOAD_BYTES,
    OPERATIONS, Operation, Pagination, ParamKind, ParamLocation,
};
use refold_session::{Client, Error, RequestOptions};
use serde_json::{Value, json};

use crate::{ClientArgs, key_value, print_json, report};

/// Most bytes read for `--body` before the core's own limit applies to the JSON it holds
/// (room for indentation).
const MAX_BODY_READ_BYTES: u64 = 4 * MAX_REQUEST_BODY_BYTES as u64;

#[derive(Args)]
pub struct ApiArgs {
    /// The operation's id (the API description's operationId), e.g. listPersistentTables.
    #[arg(required_unless_present = "list", value_name = "OPERATION_ID")]
    pub operation_id: Option<String>,
    /// A parameter as KEY=VALUE, by its key (table_id) or camelCase (tableId); the value is
    /// read as the parameter's declared kind (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = key_value)]
    params: Vec<(String, String)>,
    /// The JSON body: the JSON itself, @FILE, or @- for stdin.
    #[arg(long, value_name = "JSON|@FILE|@-")]
    body: Option<String>,
    /// A file to upload as FIELD=@PATH (multipart operations; repeatable).
    #[arg(long = "file", value_name = "FIELD=@PATH", value_parser = key_value)]
    files: Vec<(String, String)>,
    /// Act for this linked account (its id in the linked_account_id header); org-level
    /// operations are refused before anything is sent.
    #[arg(long, value_name = "ID", conflicts_with = "session_token_env")]
    linked_account: Option<String>,
    /// Authenticate by the session token in this environment variable instead of the API
    /// key; operations a session token may not call are refused before anything is sent.
    #[arg(long, value_name = "NAME")]
    session_token_env: Option<String>,
    /// Read every page of a paginated list and print its items, one JSON value a line.
    #[arg(long)]
    all: bool,
    /// List the operations: id, method, path, tag and a deprecated marker, one a line.
    #[arg(long, conflicts_with_all = ["params", "body", "files", "linked_account", "session_token_env", "all"])]
    list: bool,
    /// With --list: one JSON array of the operations.
    #[arg(long, requires = "list")]
    json: bool,
    #[command(flatten)]
    client: ClientArgs,
}

/// Why a command line cannot become a call, in the CLI's words (the core's errors are
/// reported as they are).
enum Failure {
    Core(Error),
    /// A malformed argument: `error[invalid_input]`, exit 2.
    Input(String),
    /// A missing environment variable: `error[configuration]`, exit 2.
    Configuration(String),
}

impl From<Error> for Failure {
    fn from(err: Error) -> Failure {
        Failure::Core(err)
    }
}

pub async fn run(args: ApiArgs) -> ExitCode {
    if args.list {
        list(args.json);
        return ExitCode::SUCCESS;
    }
    match call(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Core(err)) => report(&err),
        Err(Failure::Input(message)) => {
            eprintln!("error[invalid_input]: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Configuration(message)) => {
            eprintln!("error[configuration]: {message}");
            ExitCode::from(2)
        }
    }
}

/// Whom the call acts for.
enum Caller {
    Org(Client),
    Scoped(api::ScopedClient),
}

async fn call(args: ApiArgs) -> Result<(), Failure> {
    let operation_id = args.operation_id.unwrap_or_default();
    let op = api::operation(&operation_id)?;
    let mut request = ApiRequest::new();
    for (key, text) in &args.params {
        let (key, value) = api::param_from_text(op, key, text)?;
        request.params.insert(key, value);
    }
    request.body = args.body.as_deref().map(read_body).transpose()?;
    for (field, path) in &args.files {
        request.files.push(read_file(field, path)?);
    }
    let client = args.client.client()?;
    let caller = match (args.linked_account, args.session_token_env) {
        (Some(id), _) => Caller::Scoped(client.for_linked_account(&id)?),
        (None, Some(name)) => {
            let token = std::env::var(&name).map_err(|_| {
                Failure::Configuration(format!(
                    "--session-token-env names {name}, which is not set (or not UTF-8)."
                ))
            })?;
            Caller::Scoped(client.for_session_token(token.trim())?)
        }
        (None, None) => Caller::Org(client),
    };
    if !args.all {
        let answer = match &caller {
            Caller::Org(client) => client.call(op.id, request).await?,
            Caller::Scoped(client) => client.call(op.id, request).await?,
        };
        print_json(&answer);
        return Ok(());
    }
    // Core decides what page comes next and when to stop; this loop only asks for it.
    loop {
        let page = match &caller {
            Caller::Org(client) => {
                client
                    .call_page(op.id, request.clone(), RequestOptions::default())
                    .await?
            }
            Caller::Scoped(client) => {
                client
                    .call_page(op.id, request.clone(), RequestOptions::default())
                    .await?
            }
        };
        for item in &page.items {
            print_json(item);
        }
        match page.next_page {
            Some(next) => {
                request.params.insert("page".to_owned(), Value::from(next));
            }
            None => return Ok(()),
        }
    }
}

/// `--body`: JSON text, `@FILE`, or `@-` (stdin).
fn read_body(argument: &str) -> Result<Value, Failure> {
    let text = match argument.strip_prefix('@') {
        None => argument.as_bytes().to_vec(),
        Some("-") => read_capped(std::io::stdin(), MAX_BODY_READ_BYTES, "the body on stdin")?,
        Some(path) => {
            let file = std::fs::File::open(path)
                .map_err(|err| Failure::Input(format!("--body: cannot open {path}: {err}.")))?;
            read_capped(file, MAX_BODY_READ_BYTES, path)?
        }
    };
    serde_json::from_slice(&text)
        .map_err(|err| Failure::Input(format!("--body is not JSON ({err}).")))
}

/// `--file FIELD=@PATH`: the file's bytes under its own name.
fn read_file(field: &str, argument: &str) -> Result<ApiFile, Failure> {
    let Some(path) = argument.strip_prefix('@') else {
        return Err(Failure::Input(format!(
            "--file takes FIELD=@PATH, got {field}={argument}."
        )));
    };
    let file = std::fs::File::open(path)
        .map_err(|err| Failure::Input(format!("--file: cannot open {path}: {err}.")))?;
    let bytes = read_capped(file, MAX_UPLOAD_BYTES as u64, path)?;
    let filename = std::path::Path::new(path)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_owned());
    Ok(ApiFile {
        field: field.to_owned(),
        filename,
        content_type: None,
        bytes: bytes::Bytes::from(bytes),
    })
}

/// At most `cap` bytes of `source`, else an error naming `what`.
fn read_capped(source: impl std::io::Read, cap: u64, what: &str) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    source
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| Failure::Input(format!("cannot read {what}: {err}.")))?;
    if bytes.len() as u64 > cap {
        return Err(Failure::Input(format!(
            "{what} is over {} MiB.",
            cap / (1024 * 1024)
        )));
    }
    Ok(bytes)
}

/// `--list`: one aligned line per operation, or `--json`: one array.
fn list(as_json: bool) {
    if as_json {
        let operations: Vec<Value> = OPERATIONS.iter().map(operation_json).collect();
        print_json(&operations);
        return;
    }
    let id_width = OPERATIONS.iter().map(|op| op.id.len()).max().unwrap_or(0);
    let path_width = OPERATIONS.iter().map(|op| op.path.len()).max().unwrap_or(0);
    for op in OPERATIONS {
        let line = format!(
            "{:id_width$}  {:6}  {:path_width$}  {}{}",
            op.id,
            op.method.as_str(),
            op.path,
            op.tag,
            if op.deprecated { "  (deprecated)" } else { "" },
        );
        println!("{}", line.trim_end());
    }
}

fn operation_json(op: &Operation) -> Value {
    let params: Vec<Value> = op
        .params
        .iter()
        .map(|param| {
            json!({
                "key": param.key,
                "in": match param.location {
                    ParamLocation::Path => "path",
                    ParamLocation::Query => "query",
                    ParamLocation::Header => "header",
                },
                "required": param.required,
                "kind": match param.kind {
                    ParamKind::Text => "text",
                    ParamKind::Integer => "integer",
                    ParamKind::Number => "number",
                    ParamKind::Boolean => "boolean",
                    ParamKind::Enum(_) => "enum",
                },
            })
        })
        .collect();
    json!({
        "operationId": op.id,
        "method": op.method.as_str(),
        "path": op.path,
        "tag": op.tag,
        "deprecated": op.deprecated,
        "params": params,
        "linked_account": match op.linked_account {
            LinkedAccountHeader::None => "none",
            LinkedAccountHeader::Optional => "optional",
            LinkedAccountHeader::Required => "required",
        },
        "paginated": matches!(op.pagination, Pagination::Page { .. }),
    })
}

/// The operation ids, for shell completion after `refold api`.
pub fn operation_ids() -> impl Iterator<Item = &'static str> {
    OPERATIONS.iter().map(|op| op.id)
}
