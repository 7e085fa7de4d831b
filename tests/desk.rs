//! `confide desk` against a real gateway, driven over HTTP as a browser drives it: the attacks
//! it must refuse before anything runs, a whole session that leaves nothing readable on disk,
//! the idle lock, a sync that fetches only what is new, reading offline from the sealed copy,
//! pictures redrawn without their metadata, and a case worked across roles.

mod common;
#[path = "common/desk.rs"]
mod desk_run;

use common::{Gateway, contains, files_under, token_on_page};
use desk_run::{Desk, cases_on};

const REPORT: &str = "Canary-desk-report: the driver at the checkpoint";
const MESSAGE: &str = "Canary-desk-message: it was the second market day";
const REPLY: &str = "Canary-desk-reply: we are reading your report";
const NOTE: &str = "Canary-desk-note: check the rota of the checkpoint";
const FILE_NAME: &str = "Canary-desk-file-name.txt";
const FILE_TEXT: &str = "Canary-desk-file-content: the rota of that week";
const LABEL: &str = "Canary-desk-label";

/// The envelope of the first file a case page links to.
fn file_on(page: &str, case: &str) -> String {
    let after = page
        .split(&format!("/cases/{case}/files/"))
        .nth(1)
        .expect("a file link");
    after.split('"').next().unwrap().to_string()
}

/// Files a report through the no-JavaScript form, with a text file; returns the token.
async fn report(gateway: &Gateway, description: &str, files: &[(&str, &str, &[u8])]) -> String {
    let (status, page) = gateway
        .post_multipart(
            "/report",
            &[
                ("entity", "minusca"),
                ("description", description),
                ("safe_now", "no"),
                ("child_involved", "yes"),
            ],
            files,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    token_on_page(&page)
}

#[tokio::test]
async fn the_desk_refuses_a_wrong_host_a_cross_site_post_and_a_browser_without_the_launch_link() {
    let gateway = Gateway::start();
    report(&gateway, REPORT, &[]).await;
    let data = tempfile::tempdir().unwrap();
    let mut desk = Desk::start(&gateway, "intake-minusca", data.path(), &[]);

    // No session yet: nothing but the refusal, and the launch link works with its secret only.
    let (status, _, page) = desk.get("/").await;
    assert_eq!(status, 401);
    assert!(page.contains("launch link"), "{page}");
    let wrong = desk.launch.replace("secret=", "secret=x");
    let (status, _, _) = desk.get(&wrong[desk.base.len()..]).await;
    assert_eq!(status, 401, "a wrong secret opens nothing");
    desk.launch_and_unlock().await;
    let (status, headers, page) = desk.get("/").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Canary-desk-report"),
        "the inbox shows the report: {page}"
    );
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'") && policy.contains("frame-ancestors 'none'"));
    assert_eq!(headers["cache-control"], "no-store");

    // The link works once: a second browser holding it gets no session.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let again = http.get(&desk.launch).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 401);
    assert!(again.headers().get("set-cookie").is_none());

    // DNS rebinding: a name that resolves here, with the session's cookie, is still refused.
    let port = desk.base.rsplit(':').next().unwrap().to_string();
    for host in [format!("evil.example:{port}"), format!("localhost:{port}")] {
        let answer = http
            .get(format!("{}/", desk.base))
            .header("host", &host)
            .header("cookie", desk.cookie())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 421, "{host}");
        assert!(!answer.text().await.unwrap().contains("Canary"));
    }

    // Cross-site posts change nothing: another Origin, no Origin at all, or no form mark.
    let mark = desk.mark().await;
    let case = cases_on(&desk.get("/").await.2)[0].clone();
    let path = format!("/cases/{case}/note");
    let note = [("mark", mark.as_str()), ("text", "forged note")];
    for headers in [
        vec![("origin", "http://evil.example")],
        vec![("origin", "null")],
        vec![("sec-fetch-site", "cross-site")],
        vec![],
    ] {
        let (status, _, _) = desk.post_raw(&path, &note, &headers).await;
        assert_eq!(status, 403, "{headers:?}");
    }
    let (status, _, _) = desk
        .post_raw(
            &path,
            &[("text", "forged note")],
            &[("origin", desk.origin().as_str())],
        )
        .await;
    assert_eq!(status, 403, "without the page's form mark");
    let (status, _, _) = desk
        .post_raw(
            "/lock",
            &[("mark", "guessed")],
            &[("origin", desk.origin().as_str())],
        )
        .await;
    assert_eq!(status, 403);
    let (_, _, page) = desk.get(&format!("/cases/{case}")).await;
    assert!(
        !page.contains("forged note") && page.contains("Canary-desk-report"),
        "nothing was written and the desk is still unlocked"
    );

    // After lock, the case's address shows the unlock page and nothing of the case.
    let (status, location, _) = desk.post("/lock", &[]).await;
    assert_eq!((status, location.as_str()), (303, "/"));
    let (status, _, page) = desk.get(&format!("/cases/{case}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"passphrase\""), "{page}");
    assert!(!page.contains("Canary"), "{page}");
}

#[tokio::test]
async fn a_whole_session_leaves_no_canary_in_the_desks_folder_its_logs_or_the_gateways_database() {
    let gateway = Gateway::start();
    let token = report(
        &gateway,
        REPORT,
        &[("files", FILE_NAME, FILE_TEXT.as_bytes())],
    )
    .await;
    let data = tempfile::tempdir().unwrap();
    let mut desk = Desk::start(&gateway, "intake-minusca", data.path(), &[]);
    desk.launch_and_unlock().await;
    let case = cases_on(&desk.get("/").await.2)[0].clone();

    // The case page shows the report and the file's name, opened in memory.
    let (_, _, page) = desk.get(&format!("/cases/{case}")).await;
    assert!(page.contains(REPORT) && page.contains(FILE_NAME), "{page}");
    let file = file_on(&page, &case);
    let (_, _, shown) = desk.get(&format!("/cases/{case}/files/{file}")).await;
    assert!(
        shown.contains("<pre class=\"text\">Canary-desk-file-content"),
        "{shown}"
    );

    for (path, fields, done) in [
        ("reply", vec![("text", REPLY)], "reply"),
        ("note", vec![("text", NOTE)], "note"),
        ("labels", vec![("labels", LABEL)], "labels"),
        ("star", vec![], "star"),
        ("status", vec![("status", "acknowledged")], "status"),
    ] {
        let (status, location, page) = desk.post(&format!("/cases/{case}/{path}"), &fields).await;
        assert_eq!(
            (status, location),
            (303, format!("/cases/{case}?done={done}")),
            "{path}: {page}"
        );
    }
    // The reporter reads the reply and answers; the desk's next sync brings the answer.
    let status_page = gateway.status_page(&token).await;
    assert!(status_page.contains(REPLY), "{status_page}");
    let (status, page) = gateway
        .post_multipart(
            "/status/message",
            &[("token", &token), ("message", MESSAGE)],
            &[],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let (status, location, _) = desk.post("/sync", &[]).await;
    assert_eq!((status, location.as_str()), (303, "/?done=sync"));
    let (_, _, inbox) = desk.get("/").await;
    assert!(
        inbox.contains("One new item") && inbox.contains(LABEL),
        "{inbox}"
    );
    let (_, _, page) = desk.get(&format!("/cases/{case}")).await;
    for canary in [REPORT, MESSAGE, REPLY, NOTE, FILE_NAME] {
        assert!(page.contains(canary), "the timeline shows {canary}: {page}");
    }
    assert!(
        page.find(REPLY) < page.find(NOTE) && page.find(NOTE) < page.find(MESSAGE),
        "in the order they were written"
    );
    let (_, _, page) = desk.get(&format!("/cases/{case}")).await;
    assert!(!page.contains("<strong>new</strong>"), "seen once shown");

    desk.post("/lock", &[]).await;
    desk.stop();
    let logs = desk.logs();
    let gateway_logs = gateway.logs();
    let mut places: Vec<(String, Vec<u8>)> = files_under(data.path())
        .into_iter()
        .chain(files_under(&gateway.data_dir))
        .map(|(path, bytes)| (path.display().to_string(), bytes))
        .collect();
    assert!(
        places.len() >= 5,
        "the desk kept its sealed copies: {places:?}"
    );
    places.push(("the desk's output".into(), logs.into_bytes()));
    places.push(("the gateway's log".into(), gateway_logs.into_bytes()));
    for canary in [REPORT, MESSAGE, REPLY, NOTE, FILE_NAME, FILE_TEXT, LABEL] {
        for (place, bytes) in &places {
            assert!(
                !contains(bytes, canary.as_bytes()),
                "{canary} is readable in {place}"
            );
        }
        // Searched for its distinctive middle too, in case of a prefix written apart.
        let Some(middle) = canary.get(12..24) else {
            continue;
        };
        for (place, bytes) in &places {
            assert!(!contains(bytes, middle.as_bytes()), "{middle} in {place}");
        }
    }
}

#[tokio::test]
async fn the_desk_locks_itself_when_left_idle() {
    let gateway = Gateway::start();
    report(&gateway, REPORT, &[]).await;
    let data = tempfile::tempdir().unwrap();
    let mut desk = Desk::start(
        &gateway,
        "intake-minusca",
        data.path(),
        &["--idle-seconds", "2"],
    );
    desk.launch_and_unlock().await;
    assert!(desk.get("/").await.2.contains(REPORT));
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let (_, _, page) = desk.get("/").await;
    assert!(page.contains("name=\"passphrase\""), "{page}");
    assert!(!page.contains("Canary"));
    assert!(desk.logged("the desk is locked"), "{}", desk.logs());
    // Unlocking again opens the same inbox from the sealed copy.
    desk.post("/unlock", &[("passphrase", "")]).await;
    assert!(desk.get("/").await.2.contains(REPORT));
}

#[tokio::test]
async fn a_sync_fetches_only_what_is_new_and_the_desk_reads_offline_from_its_sealed_copy() {
    let gateway = Gateway::start();
    let token = report(&gateway, REPORT, &[]).await;
    let data = tempfile::tempdir().unwrap();
    {
        let mut desk = Desk::start(&gateway, "intake-minusca", data.path(), &[]);
        desk.launch_and_unlock().await;
        desk.post("/sync", &[]).await;
        assert!(desk.logged("fetched=0"), "nothing new: {}", desk.logs());
        gateway
            .post_multipart(
                "/status/message",
                &[("token", &token), ("message", MESSAGE)],
                &[],
            )
            .await;
        desk.post("/sync", &[]).await;
        assert!(desk.logged("fetched=1"), "one new: {}", desk.logs());
    }
    // The gateway gone: the desk opens what it holds, says so, and offers no action.
    let mut desk = Desk::start_at("https://127.0.0.1:9", "intake-minusca", data.path(), &[]);
    desk.launch_and_unlock().await;
    let (_, _, inbox) = desk.get("/").await;
    assert!(inbox.contains("cannot be reached"), "{inbox}");
    let case = cases_on(&inbox)[0].clone();
    let (_, _, page) = desk.get(&format!("/cases/{case}")).await;
    assert!(page.contains(REPORT) && page.contains(MESSAGE), "{page}");
    assert!(
        !page.contains(&format!("/cases/{case}/reply\"")),
        "no action offline"
    );
}

#[tokio::test]
async fn a_picture_is_shown_only_redrawn_without_its_location_or_a_trailing_payload() {
    let photo = common::jpeg_with(
        32,
        16,
        b"GPSLatitude=04.3612N;GPSLongitude=018.5550E;Make=PhoneCo",
        b"TRAILING-PAYLOAD<html><script>alert(1)</script>",
    );

    let gateway = Gateway::start();
    report(&gateway, REPORT, &[("files", "photo.jpg", &photo)]).await;
    let data = tempfile::tempdir().unwrap();
    let mut desk = Desk::start(&gateway, "intake-minusca", data.path(), &[]);
    desk.launch_and_unlock().await;
    let case = cases_on(&desk.get("/").await.2)[0].clone();
    let (_, _, page) = desk.get(&format!("/cases/{case}")).await;
    let file = file_on(&page, &case);
    let (_, _, shown) = desk.get(&format!("/cases/{case}/files/{file}")).await;
    assert!(shown.contains("<img src="), "{shown}");
    let (status, headers, png) = desk
        .get_bytes(&format!("/cases/{case}/files/{file}/image"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/png");
    assert!(!contains(&png, b"GPSLatitude") && !contains(&png, b"PhoneCo"));
    assert!(!contains(&png, b"TRAILING-PAYLOAD"));
    let redrawn = image::load_from_memory(&png).unwrap();
    assert_eq!((redrawn.width(), redrawn.height()), (32, 16));

    // The file as it came, only on request, as a download that cannot run in the page.
    let (status, _, _) = desk
        .post_raw(
            &format!("/cases/{case}/files/{file}/download"),
            &[("mark", "wrong")],
            &[("origin", desk.origin().as_str())],
        )
        .await;
    assert_eq!(status, 403);
    let mark = desk.mark().await;
    let response = reqwest::Client::new()
        .post(format!("{}/cases/{case}/files/{file}/download", desk.base))
        .header("cookie", desk.cookie())
        .header("origin", desk.origin())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("mark={mark}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"photo.jpg\""
    );
    assert_eq!(
        response.headers()["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    assert_eq!(response.bytes().await.unwrap().to_vec(), photo);
}

#[tokio::test]
async fn intake_assigns_on_the_desk_and_the_investigator_reads_the_case_and_replies() {
    let gateway = Gateway::start();
    let token = report(&gateway, REPORT, &[]).await;
    let intake_data = tempfile::tempdir().unwrap();
    let mut intake = Desk::start(&gateway, "intake-minusca", intake_data.path(), &[]);
    intake.launch_and_unlock().await;
    let case = cases_on(&intake.get("/").await.2)[0].clone();
    let (_, _, page) = intake.get(&format!("/cases/{case}")).await;
    assert!(page.contains("value=\"investigator-minusca\""), "{page}");
    let (status, location, page) = intake
        .post(
            &format!("/cases/{case}/assign"),
            &[("to", "investigator-minusca")],
        )
        .await;
    assert_eq!(
        (status, location),
        (303, format!("/cases/{case}?done=assign")),
        "{page}"
    );

    let investigator_data = tempfile::tempdir().unwrap();
    let mut investigator = Desk::start(
        &gateway,
        "investigator-minusca",
        investigator_data.path(),
        &[],
    );
    investigator.launch_and_unlock().await;
    let (_, _, inbox) = investigator.get("/").await;
    assert_eq!(cases_on(&inbox), std::slice::from_ref(&case), "{inbox}");
    assert!(
        inbox.contains("Not safe now"),
        "the flags come from the copy: {inbox}"
    );
    let (_, _, page) = investigator.get(&format!("/cases/{case}")).await;
    assert!(page.contains(REPORT), "{page}");
    assert!(
        !page.contains(&format!("/cases/{case}/assign\"")),
        "only intake assigns"
    );
    // A move the case cannot make now is not offered, and one sent anyway changes nothing.
    assert!(!page.contains("value=\"closed\""), "{page}");
    let (status, _, page) = investigator
        .post(&format!("/cases/{case}/status"), &[("status", "closed")])
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("class=\"problem\""), "{page}");
    let (status, _, _) = investigator
        .post(&format!("/cases/{case}/reply"), &[("text", REPLY)])
        .await;
    assert_eq!(status, 303);
    let (status, _, page) = investigator
        .post(&format!("/cases/{case}/reply"), &[("text", "   ")])
        .await;
    assert_eq!(status, 422, "an empty reply is refused: {page}");
    assert!(gateway.status_page(&token).await.contains(REPLY));
    intake.post("/sync", &[]).await;
    let (_, _, page) = intake.get(&format!("/cases/{case}")).await;
    assert!(
        page.contains(REPLY) && page.contains("investigator-minusca"),
        "{page}"
    );
}

#[tokio::test]
async fn every_role_works_its_part_of_a_case_on_its_own_desk() {
    const NOTIFIED: &str = "Canary-desk-notified: a soldier of your contingent";
    const ASSISTED: &str = "Canary-desk-assistance-note: met at the clinic";
    let gateway = Gateway::start();
    report(&gateway, REPORT, &[]).await;

    // Intake classifies and notifies the Member State whose personnel are implicated.
    let intake_data = tempfile::tempdir().unwrap();
    let mut intake = Desk::start(&gateway, "intake-minusca", intake_data.path(), &[]);
    intake.launch_and_unlock().await;
    let case = cases_on(&intake.get("/").await.2)[0].clone();
    let (status, _, page) = intake
        .post(
            &format!("/cases/{case}/notify"),
            &[("member_state", "XAA"), ("text", NOTIFIED)],
        )
        .await;
    assert_eq!(status, 422, "not before the classification names XAA");
    assert!(page.contains("classification"), "{page}");
    for (path, fields, done) in [
        (
            "classify",
            vec![
                ("allegation", "sexual_exploitation"),
                ("implicated", "military_contingent:XAA"),
                ("adults", "1"),
            ],
            "classify",
        ),
        (
            "notify",
            vec![("member_state", "XAA"), ("text", NOTIFIED)],
            "notify",
        ),
    ] {
        let (status, location, page) = intake.post(&format!("/cases/{case}/{path}"), &fields).await;
        assert_eq!(
            (status, location),
            (303, format!("/cases/{case}?done={done}")),
            "{page}"
        );
    }
    let (_, _, page) = intake.get(&format!("/cases/{case}")).await;
    assert!(
        page.contains("XAA notified") && page.contains("sexual_exploitation"),
        "{page}"
    );

    // The focal point reads the notification, acknowledges it and records national action.
    let focal_data = tempfile::tempdir().unwrap();
    let mut focal = Desk::start(&gateway, "member-state-focal-point", focal_data.path(), &[]);
    focal.launch_and_unlock().await;
    let (_, _, page) = focal.get("/").await;
    assert!(page.contains(NOTIFIED), "{page}");
    assert!(
        !page.contains(REPORT),
        "a focal point never sees the report"
    );
    let notification = page
        .split("/notifications/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let (status, location, _) = focal
        .post(&format!("/notifications/{notification}/acknowledge"), &[])
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/notifications?done=acknowledge")
    );
    let (status, location, _) = focal
        .post(
            &format!("/notifications/{notification}/action"),
            &[("action", "investigation_opened"), ("text", "")],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/notifications?done=action")
    );
    let (_, _, page) = focal.get("/").await;
    assert!(
        page.contains("Investigation opened") && !page.contains("Acknowledge the notification"),
        "{page}"
    );

    // The assistance officer records consent, offers a service and writes a note.
    let assistance_data = tempfile::tempdir().unwrap();
    let mut assistance = Desk::start(&gateway, "assistance-minusca", assistance_data.path(), &[]);
    assistance.launch_and_unlock().await;
    let (_, _, page) = assistance.get("/").await;
    let short = &case[..8];
    assert!(page.contains(&format!("/assistance/{short}\"")), "{page}");
    for (path, fields, done) in [
        (
            "consent",
            vec![
                ("purpose", "receive_assistance"),
                ("audience", "service_providers"),
                ("given", "yes"),
            ],
            "consent",
        ),
        (
            "refer",
            vec![("service", "medical"), ("provider", "clinic-7")],
            "refer",
        ),
        ("note", vec![("text", ASSISTED)], "assistance_note"),
    ] {
        let (status, location, page) = assistance
            .post(&format!("/assistance/{short}/{path}"), &fields)
            .await;
        assert_eq!(
            (status, location),
            (303, format!("/assistance/{short}?done={done}")),
            "{page}"
        );
    }
    let (_, _, page) = assistance.get(&format!("/assistance/{short}")).await;
    assert!(
        page.contains(ASSISTED) && page.contains("Medical care") && page.contains("clinic-7"),
        "{page}"
    );
    assert!(
        !page.contains(REPORT),
        "an assistance officer never sees the report"
    );
    let (status, _, page) = assistance
        .post(
            &format!("/assistance/{short}/refer"),
            &[("service", "massage"), ("provider", "x")],
        )
        .await;
    assert_eq!(status, 422, "an unknown service changes nothing: {page}");

    // The auditor: the chain checked on their machine, deadlines, and the statistics sandboxed.
    let auditor_data = tempfile::tempdir().unwrap();
    let mut auditor = Desk::start(&gateway, "auditor", auditor_data.path(), &[]);
    auditor.launch_and_unlock().await;
    let (_, _, page) = auditor.get("/").await;
    assert!(page.contains("The audit chain is intact"), "{page}");
    assert!(!page.contains(REPORT) && !page.contains(NOTIFIED));
    let year = time::OffsetDateTime::now_utc().year();
    let (status, headers, page) = auditor.get(&format!("/statistics?year={year}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .ends_with("sandbox")
    );
    assert!(page.contains("<html"), "{page}");
}

#[tokio::test]
async fn an_evidence_export_opens_with_the_age_tool_and_tar_its_hashes_match_and_it_is_audited() {
    if !(common::tool_available("age") && common::tool_available("tar")) {
        return;
    }
    let gateway = Gateway::start();
    report(
        &gateway,
        REPORT,
        &[("files", FILE_NAME, FILE_TEXT.as_bytes())],
    )
    .await;
    let data = tempfile::tempdir().unwrap();
    let mut desk = Desk::start(&gateway, "intake-minusca", data.path(), &[]);
    desk.launch_and_unlock().await;
    let case = cases_on(&desk.get("/").await.2)[0].clone();
    desk.post(&format!("/cases/{case}/reply"), &[("text", REPLY)])
        .await;

    // Sealed to a colleague: the exporter's own key does not open it.
    let mark = desk.mark().await;
    let post = |to: &'static str| {
        let body = serde_urlencoded::to_string([("mark", mark.as_str()), ("to", to)]).unwrap();
        reqwest::Client::new()
            .post(format!("{}/cases/{case}/export", desk.base))
            .header("cookie", desk.cookie())
            .header("origin", desk.origin())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let response = post("investigator-minusca").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"],
        format!(
            "attachment; filename=\"case-{}-evidence.tar.age\"",
            &case[..8]
        )
    );
    assert_eq!(
        response.headers()["content-security-policy"],
        "default-src 'none'; sandbox"
    );
    let sealed = response.bytes().await.unwrap().to_vec();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("export.tar.age");
    std::fs::write(&file, &sealed).unwrap();
    let age = |who: &str| {
        std::process::Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(common::staff_dir(who).join("identity.txt"))
            .arg("-o")
            .arg(work.path().join(format!("{who}.tar")))
            .arg(&file)
            .output()
            .unwrap()
    };
    assert!(
        !age("intake-minusca").status.success(),
        "sealed to the colleague only"
    );
    let opened = age("investigator-minusca");
    assert!(
        opened.status.success(),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let untar = std::process::Command::new("tar")
        .arg("-xf")
        .arg(work.path().join("investigator-minusca.tar"))
        .arg("-C")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        untar.status.success(),
        "{}",
        String::from_utf8_lossy(&untar.stderr)
    );
    let folder = out.join(format!("case-{case}"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["exported_by"], "intake-minusca");
    assert_eq!(manifest["sealed_to"], "investigator-minusca");
    let items = manifest["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "report, file and reply: {manifest}");
    for item in items {
        let bytes = std::fs::read(folder.join(item["file"].as_str().unwrap())).unwrap();
        let hash = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
        assert_eq!(item["sha256"], hash.as_str(), "{item}");
    }
    let file_item = items.iter().find(|i| i["kind"] == "attachment").unwrap();
    let kept = std::fs::read(folder.join(file_item["file"].as_str().unwrap())).unwrap();
    assert_eq!(kept, FILE_TEXT.as_bytes(), "the file as it arrived");

    // The audit chain names the export, its recipient and the sealed file's hash.
    let (_, audit) = gateway.staff_get("auditor", "/api/v1/staff/audit").await;
    let hash = hex::encode(ring::digest::digest(&ring::digest::SHA256, &sealed));
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["action"] == "export"
                && r["case_id"] == case.as_str()
                && r["detail"].as_str().unwrap().contains(&hash)
                && r["detail"]
                    .as_str()
                    .unwrap()
                    .contains("investigator-minusca")),
        "{audit}"
    );
    // A recipient outside the case's staff gets nothing: not an auditor, not a stranger.
    for to in ["nobody-at-all", "auditor", "intake-monusco"] {
        let refused = post(to).await.unwrap();
        assert_eq!(refused.status(), 422, "{to}");
    }
    let (status, answer) = gateway
        .staff_post(
            "intake-minusca",
            &format!("/api/v1/staff/cases/{case}/exports"),
            serde_json::json!({ "recipient": "auditor", "items": 1, "sha256": hash }),
        )
        .await;
    assert_eq!(status, 422, "the gateway refuses it too: {answer}");
}
