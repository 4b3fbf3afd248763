//! The typed methods of `client.api()` against a live emulator (docs/contract.md §17): typed
//! parameters and bodies in, models out, pages as a stream, and the generic call's rules.

use futures_util::StreamExt;
use refold_session::api::models::{
    AddRecordsRequest, AddRecordsRequestData, AddRecordsToPersistentTableParams,
    CreateTableRequest, CreateTableRequestColumnsItem, GetPersistentTableRecordsParams,
};
use refold_session::{Client, ClientOptions, ErrorCode, RateLimitOptions, RequestOptions};
use serde_json::{Map, Value, json};

#[path = "common/emulator.rs"]
mod emulator;

const KEY: &str = "sk_typed_DISTINCTIVE_93c1";

fn client(emulator: &refold_emulator::Emulator) -> Client {
    Client::new(ClientOptions {
        api_key: Some(KEY.into()),
        base_url: Some(emulator.base_url()),
        max_retries: Some(0),
        read_environment_variables: Some(false),
        rate_limit: Some(RateLimitOptions::Off),
        ..ClientOptions::default()
    })
    .unwrap()
}

fn row(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

#[tokio::test]
async fn a_table_is_created_filled_and_streamed_through_typed_methods() {
    let emulator = emulator::start(KEY).await;
    let api = client(&emulator)
        .for_linked_account("typed-1")
        .unwrap()
        .api();
    let created = api
        .create_persistent_table(&CreateTableRequest {
            table_name: "leads".into(),
            columns: vec![CreateTableRequestColumnsItem {
                column_name: "email".into(),
                extra: Map::new(),
            }],
            extra: Map::new(),
        })
        .await
        .unwrap();
    let table_id = created.table_id.expect("a new table's id");
    let rows = (0..5).map(|i| row(json!({"email": format!("{i}@x")})));
    api.add_records_to_persistent_table(
        &AddRecordsToPersistentTableParams {
            table_id: table_id.clone(),
            extra: Map::new(),
        },
        &AddRecordsRequest {
            data: AddRecordsRequestData::List(rows.collect()),
            extra: Map::new(),
        },
    )
    .await
    .unwrap();

    let params = GetPersistentTableRecordsParams {
        table_id,
        limit: Some(2),
        ..GetPersistentTableRecordsParams::default()
    };
    let emails: Vec<String> = api
        .get_persistent_table_records_all(&params)
        .unwrap()
        .map(|record| record.unwrap()["email"].as_str().unwrap().to_owned())
        .collect()
        .await;
    assert_eq!(emails, ["0@x", "1@x", "2@x", "3@x", "4@x"]);
    let log = emulator::control(&emulator, "/__emulator/requests").await;
    assert_eq!(
        log["requests"].as_array().unwrap().len(),
        5,
        "two writes, three pages"
    );
}

#[tokio::test]
async fn typed_calls_keep_the_generic_rules_and_never_show_the_key() {
    let emulator = emulator::start(KEY).await;
    let org = client(&emulator);
    // The session token's client refuses an org-level operation before sending it.
    let token = org.get_token_for_linked_account("typed-2").await.unwrap();
    let session = org.for_session_token(token.token()).unwrap().api();
    let error = session.list_webhooks().await.unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidInput);
    assert!(!error.message().contains(token.token()));
    // A 404 is the typed error, naming the operation; per-call options apply.
    let error = org
        .for_linked_account("typed-2")
        .unwrap()
        .api()
        .with_options(RequestOptions::new().max_retries(0))
        .get_execution(&refold_session::api::models::GetExecutionByIdParams {
            execution_id: "no-such-execution".into(),
            extra: Map::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::NotFound);
    assert!(error.message().contains("getExecutionById"), "{error}");
    assert!(!format!("{error:?}").contains(KEY));
    let log = emulator::control(&emulator, "/__emulator/requests").await;
    assert_eq!(
        log["requests"].as_array().unwrap().len(),
        2,
        "the token, then the 404"
    );
}
