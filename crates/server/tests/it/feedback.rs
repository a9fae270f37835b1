//! Feedback on public services (C10) through the JSON API and Open311: submission by anyone
//! with photos stripped of metadata, masking in every public view, the private contact (read
//! only by the handling department, each read logged), the workflow, rating and reopening, bad
//! input that changes nothing, the Open311 shapes, and the `georeport` client from PyPI.

use crate::common::*;
use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PHONE: &str = "13912345678";
const SECRET_MARK: &[u8] = b"SECRET-GPS-30.2799N";

pub(crate) async fn post(
    s: &TestServer,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    call(Method::POST, &s.url(path), token, Some(body)).await
}

async fn get(s: &TestServer, path: &str) -> Value {
    let (st, v) = call(Method::GET, &s.url(path), None, None).await;
    assert_eq!(st, StatusCode::OK, "{path}: {v}");
    v
}

async fn text(s: &TestServer, path: &str) -> (StatusCode, String) {
    let r = client().get(s.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// A JPEG with an EXIF segment that carries a marker standing for a GPS position.
fn jpeg_with_exif() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 3, y as u8 * 4, 90]));
    let mut plain = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut plain, image::ImageFormat::Jpeg)
        .unwrap();
    let plain = plain.into_inner();
    let mut app1 = b"Exif\0\0II*\0\x08\0\0\0\0\0".to_vec();
    app1.extend_from_slice(SECRET_MARK);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) async fn setup() -> (TestServer, Cast) {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let service = json!({
        "code": "road-damage",
        "name": "道路破损",
        "name_en": "Damaged road",
        "description": "路面坑洞、裂缝",
        "group": "道路交通",
        "keywords": ["道路", "坑洞"],
        "attributes": [{
            "code": "kind", "datatype": "singlevaluelist", "required": true,
            "description": "破损类型",
            "values": [{"key": "pothole", "name": "坑洞"}, {"key": "crack", "name": "裂缝"}]
        }],
        "department": "transport",
    });
    // Only the authority manages services.
    let (st, v) = post(
        &s,
        "/api/v1/feedback/services",
        Some(&cast.alice),
        service.clone(),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{v}");
    let (st, v) = post(&s, "/api/v1/feedback/services", Some(&cast.admin), service).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["department"], "transport");
    (s, cast)
}

pub(crate) fn report() -> Value {
    json!({
        "service_code": "road-damage",
        "description": format!("文三路有个大坑，联系我 {PHONE}。"),
        "lat": 30.2799,
        "long": 120.129,
        "address": "文三路学院路口",
        "attributes": {"kind": ["pothole"]},
        "contact": {"name": "王女士", "phone": PHONE},
    })
}

async fn leaf_kinds(s: &TestServer) -> Vec<String> {
    let log = get(s, "/log/entries?start=0&end=1000").await;
    log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let leaf: Value = serde_json::from_str(e["data"].as_str().unwrap()).unwrap();
            leaf["kind"].as_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test]
async fn feedback_is_submitted_answered_rated_and_reopened_in_public() {
    let (s, cast) = setup().await;
    let mut body = report();
    body["photos"] = json!([b64(&jpeg_with_exif())]);
    let (st, v) = post(&s, "/api/v1/feedback", None, body).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let id = v["feedback"]["id"].as_str().unwrap().to_string();
    let key = v["key"].as_str().unwrap().to_string();
    assert_eq!(v["feedback"]["status"], "submitted");
    assert_eq!(v["feedback"]["photo_count"], 1);
    assert!(!v.to_string().contains(PHONE), "{v}");

    // The photo is re-encoded without its metadata; so is its thumbnail.
    let detail = get(&s, &format!("/api/v1/feedback/{id}")).await;
    let photo_id = detail["photos"][0]["id"].as_str().unwrap();
    for q in ["", "?thumbnail=true"] {
        let r = client()
            .get(s.url(&format!("/api/v1/feedback/{id}/photos/{photo_id}{q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(&[0xFF, 0xD8]));
        assert!(!bytes.windows(SECRET_MARK.len()).any(|w| w == SECRET_MARK));
        assert!(!bytes.windows(4).any(|w| w == b"Exif"));
    }
    let (st, _) = text(&s, &format!("/feedback/{id}/photo/0/thumb")).await;
    assert_eq!(st, StatusCode::OK);

    // The mobile number is masked and the contact absent in every public view.
    let public = [
        format!("/api/v1/feedback/{id}"),
        "/api/v1/feedback".to_string(),
        "/api/v1/feedback/stats?format=csv".to_string(),
        format!("/open311/v2/requests/{id}.json"),
        format!("/open311/v2/requests/{id}.xml"),
        "/open311/v2/requests.json".to_string(),
        format!("/feedback/{id}"),
        "/feedback".to_string(),
        "/log/entries?start=0&end=1000".to_string(),
    ];
    for path in &public {
        let (st, body) = text(&s, path).await;
        assert_eq!(st, StatusCode::OK, "{path}");
        assert!(!body.contains(PHONE), "{path} shows the number: {body}");
        assert!(!body.contains("王女士"), "{path} shows the contact's name");
    }
    assert!(detail["description"]
        .as_str()
        .unwrap()
        .contains("139****5678"));

    // Only staff of the handling department read the contact, and each read is logged.
    let contact = format!("/api/v1/feedback/{id}/contact");
    let (st, _) = call(Method::GET, &s.url(&contact), Some(&cast.bob), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = call(Method::GET, &s.url(&contact), Some(&cast.admin), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = call(Method::GET, &s.url(&contact), None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let before = leaf_kinds(&s).await;
    let (st, c) = call(Method::GET, &s.url(&contact), Some(&cast.alice), None).await;
    assert_eq!(st, StatusCode::OK, "{c}");
    assert_eq!(c["contact"]["phone"], PHONE);
    let after = leaf_kinds(&s).await;
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after.last().unwrap(), "feedback.contact_read");

    // Rating an open item is refused; another department cannot act.
    let (st, v) = post(
        &s,
        &format!("/api/v1/feedback/{id}/rate"),
        None,
        json!({"rating": 5, "key": key}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "feedback_not_closed"),
        "{v}"
    );
    let act = |action: &str, extra: Value| {
        let mut b = json!({"action": action, "note": format!("{action} 说明")});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let path = format!("/api/v1/feedback/{id}/action");
    let (st, _) = post(
        &s,
        &path,
        Some(&cast.bob),
        act("accept", json!({"expected_date": "2099-01-01"})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // An expected date too far ahead, a reject without a note, a note with a mobile number.
    let (st, v) = post(
        &s,
        &path,
        Some(&cast.alice),
        act("accept", json!({"expected_date": "2099-01-01"})),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (st, v) = post(&s, &path, Some(&cast.alice), json!({"action": "reject"})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (st, v) = post(
        &s,
        &path,
        Some(&cast.alice),
        json!({"action": "note", "note": format!("请联系 {PHONE}")}),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "personal_information")
    );
    let (st, v) = post(&s, &path, Some(&cast.alice), act("resolve", json!({}))).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_decided")
    );

    let tomorrow = app::feedback::day_text(app::clock::now_ms() + 86_400_000);
    let (st, v) = post(
        &s,
        &path,
        Some(&cast.alice),
        act("accept", json!({"expected_date": tomorrow})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "accepted");
    let (st, v) = post(&s, &path, Some(&cast.alice), act("start", json!({}))).await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("in_progress"))
    );
    let (st, v) = post(&s, &path, Some(&cast.alice), act("resolve", json!({}))).await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("resolved")),
        "{v}"
    );

    // The submitter rates once, through the private key; a wrong key or a stranger is refused.
    let rate = format!("/api/v1/feedback/{id}/rate");
    let (st, _) = post(&s, &rate, None, json!({"rating": 4, "key": "wrong"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = post(&s, &rate, Some(&cast.carol), json!({"rating": 4})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = post(&s, &rate, None, json!({"rating": 6, "key": key})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (st, v) = post(&s, &rate, None, json!({"rating": 4, "key": key})).await;
    assert_eq!((st, v["rating"].as_i64()), (StatusCode::OK, Some(4)), "{v}");
    let (st, v) = post(&s, &rate, None, json!({"rating": 5, "key": key})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "already_rated")
    );

    // Reopened once with a reason; after the next close, not again.
    let reopen = format!("/api/v1/feedback/{id}/reopen");
    let (st, v) = post(&s, &reopen, None, json!({"reason": "还是有坑", "key": key})).await;
    assert_eq!(
        (st, v["status"].as_str()),
        (StatusCode::OK, Some("submitted")),
        "{v}"
    );
    assert_eq!(v["rating"], Value::Null);
    let (st, _) = post(&s, &path, Some(&cast.alice), act("reject", json!({}))).await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = post(&s, &reopen, None, json!({"reason": "再次", "key": key})).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::CONFLICT, "reopen_not_allowed")
    );

    // The public history and the log.
    let detail = get(&s, &format!("/api/v1/feedback/{id}")).await;
    let kinds: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["submit", "accept", "start", "resolve", "rate", "reopen", "reject"]
    );
    let feedback_leaves: Vec<String> = leaf_kinds(&s)
        .await
        .into_iter()
        .filter(|k| k.starts_with("feedback."))
        .collect();
    assert_eq!(
        feedback_leaves,
        [
            "feedback.submitted",
            "feedback.contact_read",
            "feedback.accepted",
            "feedback.started",
            "feedback.resolved",
            "feedback.rated",
            "feedback.reopened",
            "feedback.rejected"
        ]
    );

    // Statistics.
    let stats = get(&s, "/api/v1/feedback/stats").await;
    assert_eq!(stats["total"]["total"], 1);
    assert_eq!(stats["total"]["rejected"], 1);
    assert_eq!(stats["services"][0]["key"], "road-damage");
    let (st, _) = text(&s, "/api/v1/feedback/stats?format=xlsx").await;
    assert_eq!(st, StatusCode::OK);
    for page in [
        "/feedback/stats",
        "/feedback/stats/volume.svg",
        "/feedback/stats/months.svg",
    ] {
        let (st, body) = text(&s, page).await;
        assert_eq!(st, StatusCode::OK, "{page}");
        assert!(!body.is_empty());
    }
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let (s, cast) = setup().await;
    let with = |k: &str, v: Value| {
        let mut b = report();
        b[k] = v;
        b
    };
    // A PNG of a few hundred bytes that decodes to more pixels a side than allowed.
    let mut bomb = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(image::GrayImage::new(10_001, 1))
        .write_to(&mut bomb, image::ImageFormat::Png)
        .unwrap();
    let bomb = bomb.into_inner();
    let big = vec![0xFFu8; (5 << 20) + 1];
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            with("photos", json!([b64(b"plain text, named photo.jpg")])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_an_image",
        ),
        (
            with("photos", json!([b64(&bomb)])),
            StatusCode::UNPROCESSABLE_ENTITY,
            "image_too_large",
        ),
        (
            with("photos", json!([b64(&big)])),
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo_too_large",
        ),
        (
            with("photos", json!(["***"])),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            with(
                "photos",
                json!([
                    b64(&jpeg_with_exif()),
                    b64(&jpeg_with_exif()),
                    b64(&jpeg_with_exif()),
                    b64(&jpeg_with_exif())
                ]),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_photos",
        ),
        (
            with("lat", json!(91.0)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_location",
        ),
        (
            with("long", json!(-180.5)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_location",
        ),
        (
            with("service_code", json!("no-such")),
            StatusCode::NOT_FOUND,
            "service_not_found",
        ),
        (
            with("attributes", json!({"kind": ["tree"]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_attribute",
        ),
        (
            with("attributes", json!({"colour": ["red"], "kind": ["crack"]})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_attribute",
        ),
        (
            with("attributes", json!({})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_attribute",
        ),
        (
            with("description", json!("")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            with("contact", json!({"email": "not-an-address"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
        ),
        (
            with("extra", json!(1)),
            StatusCode::BAD_REQUEST,
            "unknown_field",
        ),
    ];
    for (body, status, code) in cases {
        let (st, v) = post(&s, "/api/v1/feedback", None, body).await;
        assert_eq!((st, error_code(&v)), (status, code), "{v}");
    }
    let mut no_location = report();
    no_location
        .as_object_mut()
        .unwrap()
        .retain(|k, _| !matches!(k.as_str(), "lat" | "long" | "address"));
    let (st, v) = post(&s, "/api/v1/feedback", None, no_location).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_location")
    );
    // Nothing was kept: no item, no photo file, no log leaf.
    assert_eq!(get(&s, "/api/v1/feedback").await["items"], json!([]));
    assert!(
        !s.config.data_dir.join("feedback").exists()
            || std::fs::read_dir(s.config.data_dir.join("feedback"))
                .unwrap()
                .next()
                .is_none()
    );
    assert!(!leaf_kinds(&s)
        .await
        .iter()
        .any(|k| k.starts_with("feedback.")));
    // A bad service definition.
    let (st, v) = post(
        &s,
        "/api/v1/feedback/services",
        Some(&cast.admin),
        json!({
            "code": "x y", "name": "n", "description": "d", "department": "transport"
        }),
    )
    .await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    let (st, v) = get_status(&s, "/api/v1/feedback?status=lost").await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
}

async fn get_status(s: &TestServer, path: &str) -> (StatusCode, Value) {
    call(Method::GET, &s.url(path), None, None).await
}

#[tokio::test]
async fn open311_speaks_georeport_v2() {
    let (s, cast) = setup().await;
    // Discovery, services and the definition, in both formats.
    let d = get(&s, "/open311/v2/discovery.json").await;
    assert_eq!(
        d["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    let services = get(&s, "/open311/v2/services.json").await;
    assert_eq!(services[0]["service_code"], "road-damage");
    assert_eq!(services[0]["metadata"], true);
    assert_eq!(services[0]["keywords"], "道路,坑洞");
    let def = get(&s, "/open311/v2/services/road-damage.json").await;
    assert_eq!(def["attributes"][0]["values"][1]["key"], "crack");
    let (st, xml) = text(&s, "/open311/v2/services/road-damage.xml").await;
    assert_eq!(st, StatusCode::OK);
    assert!(xml.starts_with("<?xml"));
    assert!(
        xml.contains(
            "<service_definition><service_code>road-damage</service_code><attributes><attribute>"
        ),
        "{xml}"
    );
    assert!(xml.contains("<values><value><key>pothole</key><name>坑洞</name></value>"));
    let (_, xml) = text(&s, "/open311/v2/services.xml").await;
    assert!(xml.contains("<services><service><service_code>road-damage</service_code>"));

    // Posting needs an API token as api_key.
    let form = |key: Option<&str>| {
        let mut f = vec![
            ("service_code", "road-damage".to_string()),
            ("lat", "30.2799".into()),
            ("long", "120.129".into()),
            ("description", "井盖缺失".into()),
            ("attribute[kind]", "pothole".into()),
            ("phone", PHONE.into()),
        ];
        if let Some(k) = key {
            f.push(("api_key", k.to_string()));
        }
        f
    };
    let send = |f: Vec<(&'static str, String)>, path: &'static str| {
        let url = s.url(path);
        async move { client().post(url).form(&f).send().await.unwrap() }
    };
    for (key, status) in [(None, 403), (Some("gs_wrong"), 403)] {
        let r = send(form(key), "/open311/v2/requests.json").await;
        assert_eq!(r.status().as_u16(), status);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v[0]["code"], status);
        assert!(v[0]["description"].as_str().unwrap().len() > 10);
    }
    let r = send(form(None), "/open311/v2/requests.xml").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("<errors><error><code>403</code><description>"));
    let mut unknown = form(Some(&cast.carol));
    unknown[0].1 = "nope".into();
    assert_eq!(
        send(unknown, "/open311/v2/requests.json").await.status(),
        StatusCode::NOT_FOUND
    );
    let mut bad_value = form(Some(&cast.carol));
    bad_value[4].1 = "tree".into();
    assert_eq!(
        send(bad_value, "/open311/v2/requests.json").await.status(),
        StatusCode::BAD_REQUEST
    );

    let r = send(form(Some(&cast.carol)), "/open311/v2/requests.json").await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let id = v[0]["service_request_id"].as_str().unwrap().to_string();

    // Read back: a one-element array, open, with the spec's fields; the contact never appears.
    let one = get(&s, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["status"], "open");
    assert_eq!(one[0]["service_code"], "road-damage");
    assert_eq!(one[0]["lat"], 30.2799);
    assert_eq!(one[0]["agency_responsible"], "transport title");
    assert!(one[0]["requested_datetime"]
        .as_str()
        .unwrap()
        .ends_with("+08:00"));
    assert!(!one.to_string().contains(PHONE));
    let (st, v) = get_status(&s, "/open311/v2/requests/nope.json").await;
    assert_eq!(
        (st, v[0]["code"].as_i64()),
        (StatusCode::NOT_FOUND, Some(404))
    );

    // Lists by status, code, id and date.
    let open = get(&s, "/open311/v2/requests.json?status=open").await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(
        get(&s, "/open311/v2/requests.json?status=closed").await,
        json!([])
    );
    assert_eq!(
        get(&s, "/open311/v2/requests.json?service_code=other").await,
        json!([])
    );
    assert_eq!(
        get(
            &s,
            &format!("/open311/v2/requests.json?service_request_id={id},x&status=closed")
        )
        .await
        .as_array()
        .unwrap()
        .len(),
        1
    );
    assert_eq!(get(&s, "/open311/v2/requests.json?start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00%2B08:00").await, json!([]));
    // The pagination extension: page_size and page.
    let all = get(&s, "/open311/v2/requests.json").await;
    let n = all.as_array().unwrap().len();
    assert!(n >= 1, "{all}");
    let first_page = get(&s, "/open311/v2/requests.json?page_size=1").await;
    assert_eq!(first_page, json!([all[0]]));
    let beyond = format!("/open311/v2/requests.json?page_size={n}&page=2");
    assert_eq!(get(&s, &beyond).await, json!([]));
    for bad in ["page_size=0", "page_size=1001", "page=0", "page=x"] {
        let (st, _) = get_status(&s, &format!("/open311/v2/requests.json?{bad}")).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}");
    }
    let (st, _) = get_status(&s, "/open311/v2/requests.json?start_date=yesterday").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = get_status(&s, "/open311/v2/requests.json?status=lost").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (_, xml) = text(&s, "/open311/v2/requests.xml?status=open").await;
    assert!(xml.contains("<service_requests><request><service_request_id>"));

    // Tokens, and the updates extension after a step.
    let detail = get(&s, &format!("/api/v1/feedback/{id}")).await;
    let token = detail["token"].as_str().unwrap();
    let t = get(&s, &format!("/open311/v2/tokens/{token}.json")).await;
    assert_eq!(t[0]["service_request_id"], id.as_str());
    let (st, _) = post(
        &s,
        &format!("/api/v1/feedback/{id}/action"),
        Some(&cast.alice),
        json!({"action": "reject", "note": "重复"}),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let updates = get(&s, "/open311/v2/servicerequestupdates.json").await;
    assert_eq!(updates[0]["service_request_id"], id.as_str());
    assert_eq!(updates[0]["status"], "no_further_action");
    assert_eq!(updates[0]["description"], "重复");
    let (_, xml) = text(&s, "/open311/v2/servicerequestupdates.xml").await;
    assert!(xml.contains("<service_request_updates><request_update><update_id>"));
    assert_eq!(
        get(&s, &format!("/open311/v2/requests/{id}.json")).await[0]["status"],
        "closed"
    );
    // Lists are kept for identical requests, but a change made here shows at once.
    assert_eq!(
        get(&s, "/open311/v2/requests.json?status=open").await,
        json!([])
    );
    assert_eq!(
        get(&s, "/open311/v2/requests.json?status=closed").await[0]["service_request_id"],
        id.as_str()
    );
    let (st, _) = get_status(&s, "/open311/v2/services.yaml").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}

/// The `georeport` client from PyPI (when `GONGSHU_GEOREPORT_PYTHON` names a Python that has it;
/// the test script sets it): discover, list services, post a request, read it back, list by
/// status. The client wraps only the reads, so discovery and the post use `requests`, which it
/// brings.
#[tokio::test]
async fn the_georeport_client_reads_and_posts() {
    let Ok(python) = std::env::var("GONGSHU_GEOREPORT_PYTHON") else {
        eprintln!("skipped: set GONGSHU_GEOREPORT_PYTHON to a Python with georeport to run it");
        return;
    };
    let (s, cast) = setup().await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/tools/open311_client.py");
    let base = s.url("/open311/v2/");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .env("OPEN311_BASE", base)
            .env("OPEN311_API_KEY", cast.carol)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = stdout
        .trim()
        .strip_prefix("ok ")
        .expect("the script prints ok and the id");
    let one = get(&s, &format!("/api/v1/feedback/{id}")).await;
    assert_eq!(one["service_code"], "road-damage");
}
