//! The demo applications every org of the emulator has enabled (fictional),
//! as the front-end SDK and the linked accounts' `integrations` show them.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

/// How a demo application is connected.
pub(crate) enum AppAuth {
    OAuth2,
    KeyBased(&'static [Field]),
}

/// A field of a key-based application's form (`auth_input_map`).
#[derive(Serialize)]
pub(crate) struct Field {
    pub name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    pub required: bool,
    placeholder: &'static str,
    pub label: &'static str,
}

pub(crate) struct DemoApp {
    pub slug: &'static str,
    pub name: &'static str,
    description: &'static str,
    /// Background colour of the generated icon.
    color: &'static str,
    pub auth: AppAuth,
}

/// The applications every org of the emulator has enabled (fictional).
pub(crate) static APPS: &[DemoApp] = &[
    DemoApp {
        slug: "parcel-post",
        name: "Parcel Post",
        description: "Send transactional email from your workflows.",
        color: "#2563eb",
        auth: AppAuth::KeyBased(&[Field {
            name: "api_key",
            kind: "password",
            required: true,
            placeholder: "pp_live_…",
            label: "API key",
        }]),
    },
    DemoApp {
        slug: "tally-sheets",
        name: "Tally Sheets",
        description: "Read and write rows in shared spreadsheets.",
        color: "#16a34a",
        auth: AppAuth::KeyBased(&[
            Field {
                name: "api_token",
                kind: "password",
                required: true,
                placeholder: "ts_…",
                label: "API token",
            },
            Field {
                name: "workspace",
                kind: "text",
                required: true,
                placeholder: "acme",
                label: "Workspace",
            },
        ]),
    },
    DemoApp {
        slug: "relay-sms",
        name: "Relay SMS",
        description: "Text your customers when something happens.",
        color: "#db2777",
        auth: AppAuth::KeyBased(&[
            Field {
                name: "account_sid",
                kind: "text",
                required: true,
                placeholder: "AC…",
                label: "Account SID",
            },
            Field {
                name: "auth_token",
                kind: "password",
                required: true,
                placeholder: "",
                label: "Auth token",
            },
            Field {
                name: "sender",
                kind: "text",
                required: false,
                placeholder: "+15550100",
                label: "Sender number (optional)",
            },
        ]),
    },
    DemoApp {
        slug: "lumen-crm",
        name: "Lumen CRM",
        description: "Sync contacts and deals with your CRM.",
        color: "#ea580c",
        auth: AppAuth::OAuth2,
    },
    DemoApp {
        slug: "beacon-chat",
        name: "Beacon Chat",
        description: "Post messages to your team's channels.",
        color: "#7c3aed",
        auth: AppAuth::OAuth2,
    },
];

/// Each app's icon: an SVG tile with its initials, as a `data:` URL.
static ICONS: LazyLock<Vec<String>> = LazyLock::new(|| APPS.iter().map(icon).collect());

fn icon(app: &DemoApp) -> String {
    let initials: String = app
        .name
        .split(' ')
        .filter_map(|word| word.chars().next())
        .collect();
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="{}"/><text x="32" y="41" font-family="Helvetica,Arial,sans-serif" font-size="24" font-weight="700" fill="#fff" text-anchor="middle">{initials}</text></svg>"##,
        app.color
    );
    format!("data:image/svg+xml;base64,{}", STANDARD.encode(svg))
}

/// The demo application `slug` and its index in [`APPS`].
pub(crate) fn find(slug: &str) -> Option<(usize, &'static DemoApp)> {
    APPS.iter().enumerate().find(|(_, app)| app.slug == slug)
}

/// An application as the SDK's `Application` interface describes it.
#[derive(Serialize)]
pub(crate) struct AppView<'a> {
    name: &'static str,
    description: &'static str,
    icon: &'a str,
    /// The slug of a native application.
    #[serde(rename = "type")]
    kind: &'static str,
    slug: &'static str,
    pub auth_type: &'static str,
    connected: bool,
    pub reauth_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_input_map: Option<&'static [Field]>,
}

/// The `APPS[index]` as the front-end SDK sees it.
pub(crate) fn view(index: usize, app: &'static DemoApp, connected: bool) -> AppView<'static> {
    let (auth_type, auth_input_map) = match app.auth {
        AppAuth::OAuth2 => ("oauth2", None),
        AppAuth::KeyBased(fields) => ("keybased", Some(fields)),
    };
    AppView {
        name: app.name,
        description: app.description,
        icon: &ICONS[index],
        kind: app.slug,
        slug: app.slug,
        auth_type,
        connected,
        reauth_required: false,
        auth_input_map,
    }
}

/// A connected application in a linked account's `integrations`, as
/// Refold's list example shows one.
#[derive(Serialize)]
pub(crate) struct IntegrationView {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'static str,
    icon: &'static str,
    /// Only custom applications have one.
    app_id: Option<&'static str>,
    reauth_required: bool,
    #[serde(rename = "createdAt")]
    created_at: String,
    #[serde(rename = "updatedAt")]
    updated_at: String,
}

/// The integration of the app `slug`, connected at `created_ms` and last
/// at `updated_ms` (`expired`: it needs re-authentication); `None` for a
/// slug that is not a demo app.
pub(crate) fn integration(
    slug: &str,
    created_ms: u64,
    updated_ms: u64,
    expired: bool,
) -> Option<IntegrationView> {
    let (index, app) = find(slug)?;
    Some(IntegrationView {
        kind: app.slug,
        name: app.name,
        icon: &ICONS[index],
        app_id: None,
        reauth_required: expired,
        created_at: crate::ids::iso_millis(created_ms),
        updated_at: crate::ids::iso_millis(updated_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icons_are_svg_data_urls() {
        for icon in ICONS.iter() {
            let data = icon.strip_prefix("data:image/svg+xml;base64,").unwrap();
            let svg = String::from_utf8(STANDARD.decode(data).unwrap()).unwrap();
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        }
    }
}
