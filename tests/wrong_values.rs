//! Every closed vocabulary of the staff API, sent a wrong value, is refused with the allowed
//! values named, on the API (422 `unknown_code`, never repeating what was sent) and in the CLI
//! (before anything is sent); and every refusal changes nothing.

mod common;

use common::{Gateway, staff_ok};
use confide::allegation::{AllegationType, PersonnelCategory};
use confide::assistance::{Audience, ConsentPurpose, ReferralState, Service};
use confide::cases::Status;
use confide::notification::NationalAction;
use serde_json::json;

/// A typo nobody would make on purpose, and which no message may repeat.
const TYPO: &str = "zzwrongzz";

struct Setup {
    case: String,
    referral: String,
    notification: String,
}

async fn setup(gateway: &Gateway) -> Setup {
    let (status, _) = gateway
        .submit_form(&[("entity", "minusca"), ("description", "what happened")])
        .await;
    assert_eq!(status, 200);
    let case = gateway.first_case_seen_by("intake-minusca").await;
    staff_ok(
        gateway,
        "intake-minusca",
        &[
            "classify",
            &case,
            "--allegation",
            "sexual_abuse",
            "--implicated",
            "military_contingent:XAA",
        ],
    );
    staff_ok(
        gateway,
        "intake-minusca",
        &[
            "notify",
            &case,
            "--member-state",
            "XAA",
            "--message",
            "shared",
        ],
    );
    let (_, list) = gateway
        .staff_get(
            "intake-minusca",
            &format!("/api/v1/staff/cases/{case}/notifications"),
        )
        .await;
    let notification = list[0]["id"].as_str().unwrap().to_string();
    let (status, offered) = gateway
        .staff_post(
            "assistance-minusca",
            &format!("/api/v1/staff/cases/{case}/referrals"),
            json!({ "service": "medical", "provider": "clinic-a" }),
        )
        .await;
    assert_eq!(status, 201, "{offered}");
    Setup {
        case,
        referral: offered["id"].as_str().unwrap().to_string(),
        notification,
    }
}

#[tokio::test]
async fn each_wrong_value_is_refused_naming_the_allowed_ones_on_the_api_and_in_the_cli() {
    let gateway = Gateway::start();
    let s = setup(&gateway).await;
    let (case, referral, notification) = (&s.case, &s.referral, &s.notification);
    let (_, before) = gateway
        .staff_get(
            "intake-minusca",
            &format!("/api/v1/staff/cases/{case}/view"),
        )
        .await;

    // (who, route, body, the allowed codes the answer must name)
    let api = [
        (
            "intake-minusca",
            format!("/api/v1/staff/cases/{case}/status"),
            json!({ "status": TYPO }),
            Status::known(),
        ),
        (
            "intake-minusca",
            format!("/api/v1/staff/cases/{case}/consents"),
            json!({ "purpose": TYPO, "audience": "investigators", "given": true }),
            ConsentPurpose::known(),
        ),
        (
            "intake-minusca",
            format!("/api/v1/staff/cases/{case}/consents"),
            json!({ "purpose": "receive_assistance", "audience": TYPO, "given": true }),
            Audience::known(),
        ),
        (
            "assistance-minusca",
            format!("/api/v1/staff/cases/{case}/referrals"),
            json!({ "service": TYPO, "provider": "clinic-a" }),
            Service::known(),
        ),
        (
            "assistance-minusca",
            format!("/api/v1/staff/referrals/{referral}"),
            json!({ "state": TYPO }),
            ReferralState::known(),
        ),
        (
            "member-state-focal-point",
            format!("/api/v1/staff/notifications/{notification}/actions"),
            json!({ "action": TYPO }),
            NationalAction::known(),
        ),
        (
            "intake-minusca",
            format!("/api/v1/staff/cases/{case}/classification"),
            json!({ "allegation": TYPO, "implicated": [], "victims": {} }),
            AllegationType::known(),
        ),
        (
            "intake-minusca",
            format!("/api/v1/staff/cases/{case}/classification"),
            json!({ "allegation": "other", "implicated": [{ "category": TYPO }], "victims": {} }),
            PersonnelCategory::known(),
        ),
    ];
    for (who, route, body, known) in &api {
        let (status, answer) = gateway.staff_post(who, route, body.clone()).await;
        assert_eq!(status, 422, "{route} {body}: {answer}");
        assert_eq!(answer["error"]["code"], "unknown_code", "{route}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("use one of: {known}")),
            "{route} {body}: {message}"
        );
        assert!(!message.contains(TYPO), "{route}: {message}");
    }

    // The CLI refuses the same typos itself, naming the same codes, and sends nothing.
    let cli: [(&str, Vec<&str>, String); 7] = [
        (
            "intake-minusca",
            vec!["status", case, TYPO],
            Status::known(),
        ),
        (
            "intake-minusca",
            vec![
                "consent",
                case,
                "--purpose",
                TYPO,
                "--audience",
                "investigators",
            ],
            ConsentPurpose::known(),
        ),
        (
            "intake-minusca",
            vec![
                "consent",
                case,
                "--purpose",
                "receive_assistance",
                "--audience",
                TYPO,
            ],
            Audience::known(),
        ),
        (
            "assistance-minusca",
            vec!["refer", case, "--service", TYPO, "--provider", "clinic-a"],
            Service::known(),
        ),
        (
            "assistance-minusca",
            vec!["referral", referral, TYPO],
            ReferralState::known(),
        ),
        (
            "member-state-focal-point",
            vec!["national-action", notification, TYPO],
            NationalAction::known(),
        ),
        (
            "intake-minusca",
            vec!["classify", case, "--allegation", TYPO],
            AllegationType::known(),
        ),
    ];
    for (who, args, known) in &cli {
        let output = gateway.staff_cli(who, args);
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(
            said.contains(&format!("use one of: {known}")),
            "{args:?}: {said}"
        );
        assert!(!said.contains("panicked"), "{said}");
    }
    // Without RUST_BACKTRACE (not asked for), a refusal is its sentence, with no backtrace.
    let dir = common::staff_dir("intake-minusca");
    let plain = std::process::Command::new(env!("CARGO_BIN_EXE_confide"))
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .env("XDG_CONFIG_HOME", "/nonexistent/confide-tests")
        .args(["staff", "--server", &gateway.staff])
        .arg("--ca")
        .arg(common::keys().join("tls/ca.pem"))
        .arg("--cert")
        .arg(dir.join("cert.pem"))
        .arg("--key")
        .arg(dir.join("key.pem"))
        .args(["classify", case, "--allegation", TYPO])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&plain.stderr);
    assert!(!plain.status.success());
    assert!(
        said.starts_with("Error: unknown allegation; use one of: "),
        "{said}"
    );
    assert!(!said.to_lowercase().contains("backtrace"), "{said}");
    let classify = gateway.staff_cli(
        "intake-minusca",
        &[
            "classify",
            case,
            "--allegation",
            "other",
            "--implicated",
            &format!("{TYPO}:XAA"),
        ],
    );
    assert!(
        String::from_utf8_lossy(&classify.stderr)
            .contains(&format!("use one of: {}", PersonnelCategory::known())),
        "{}",
        String::from_utf8_lossy(&classify.stderr)
    );

    // Nothing changed: the same case, classification, notifications and consents.
    let (_, after) = gateway
        .staff_get(
            "intake-minusca",
            &format!("/api/v1/staff/cases/{case}/view"),
        )
        .await;
    assert_eq!(after, before);
    let (_, referrals) = gateway
        .staff_get(
            "assistance-minusca",
            &format!("/api/v1/staff/cases/{case}/assistance"),
        )
        .await;
    assert_eq!(referrals["referrals"][0]["state"], "offered", "{referrals}");
}
