//! Options from environment variables. One test in its own process: the environment is global.

use refold_emulator::{Emulator, EmulatorConfig};
use refold_session::{Client, Environment, ErrorCode};

const KEY: &str = "sk_env_DISTINCTIVE_a11c";
const VARIABLES: [&str; 4] = [
    "REFOLD_API_KEY",
    "COBALT_API_KEY",
    "REFOLD_ENVIRONMENT",
    "REFOLD_BASE_URL",
];

fn set(name: &str, value: Option<&str>) {
    // SAFETY: this test binary has a single test, so no other thread reads the environment.
    unsafe {
        match value {
            Some(value) => std::env::set_var(name, value),
            None => std::env::remove_var(name),
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn environment_variables_fill_unset_options() {
    let emulator = Emulator::start(EmulatorConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        api_keys: vec![KEY.into()],
        any_linked_account: true,
        rate_limit: None, // Refold's rate limit (on by default) is not tested here
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    for name in VARIABLES {
        set(name, None);
    }

    let missing = Client::from_env().unwrap_err();
    assert_eq!(missing.code(), ErrorCode::Configuration);
    assert!(missing.message().contains("REFOLD_API_KEY"));

    set("COBALT_API_KEY", Some(KEY));
    set("REFOLD_BASE_URL", Some(&emulator.base_url()));
    let session = Client::from_env()
        .unwrap()
        .get_token_for_linked_account("env-1")
        .await
        .unwrap();
    assert_eq!(session.linked_account_id(), "env-1");

    // REFOLD_API_KEY wins over COBALT_API_KEY; a blank one counts as unset.
    set("REFOLD_API_KEY", Some("   "));
    assert!(Client::from_env().is_ok());
    set("REFOLD_API_KEY", Some("wrong"));
    let err = Client::from_env()
        .unwrap()
        .get_token_for_linked_account("env-1")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Authentication);

    set("REFOLD_BASE_URL", None);
    set("REFOLD_ENVIRONMENT", Some("sandbox"));
    let sandbox = Client::from_env().unwrap();
    assert_eq!(sandbox.environment(), Environment::Sandbox);
    assert!(
        sandbox
            .endpoint()
            .starts_with("https://embedapi.gocobalt.io/")
    );
    // An explicit option beats the variable.
    let explicit = Client::builder()
        .environment(Environment::Staging)
        .build()
        .unwrap();
    assert!(
        explicit
            .endpoint()
            .starts_with("https://sapis.gocobalt.io/")
    );

    set("REFOLD_ENVIRONMENT", Some("mars"));
    assert_eq!(
        Client::from_env().unwrap_err().code(),
        ErrorCode::Configuration
    );

    for name in VARIABLES {
        set(name, None);
    }
    emulator.shutdown().await;
}
