//! The portal without JavaScript: forms, CSRF, languages.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn chinese_by_default_and_english_persists() {
    let s = TestServer::start().await;
    let c = client();
    let html = page_text(&c, s.url("/")).await;
    assert!(html.contains("lang=\"zh-CN\""));
    assert!(html.contains("数据目录"));
    let r = c.get(s.url("/lang/en?next=/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page_text(&c, s.url("/")).await;
    assert!(html.contains("Data catalog"), "English after switching");
    let html = page_text(&c, s.url("/login")).await;
    assert!(html.contains("Sign in"), "the choice persists across pages");
    // Open redirects are refused.
    let r = c
        .get(s.url("/lang/zh?next=//evil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");
    for bad in ["/%09/evil.example", "/%0A", "/\\evil.example"] {
        let r = c
            .get(s.url(&format!("/lang/zh?next={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()["location"],
            "/",
            "{bad}: browsers drop tabs and newlines"
        );
    }
    let r = c
        .get(s.url("/?page=9223372036854775807"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "huge page numbers are clamped");
    let r = c.get(s.url("/?page=abc")).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "a garbled page number shows the first page"
    );
    let r = c.get(s.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(
        r.text().await.unwrap().contains("页面不存在"),
        "back in Chinese after /lang/zh"
    );
    let (st, v) = call(reqwest::Method::GET, &s.url("/api/v1/nope"), None, None).await;
    assert_eq!(
        (st, error_code(&v)),
        (StatusCode::NOT_FOUND, "not_found"),
        "JSON under /api/"
    );
}

#[tokio::test]
async fn publisher_creates_uploads_and_confirms_through_forms() {
    let s = TestServer::start().await;
    let cast = s.standard_cast().await;
    let c = sign_in(&s, "alice").await;
    let form_page = page_text(&c, s.url("/publish/new")).await;
    let csrf = hidden(&form_page, "csrf");
    // A form without the CSRF token is refused.
    let r = c
        .post(s.url("/publish/new"))
        .form(&[("name", "x-1"), ("title", "X"), ("csrf", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(s.url("/publish/new"))
        .form(&[
            ("name", "clinic-visits"),
            ("title", "门诊登记"),
            ("csrf", csrf.as_str()),
            ("opening_type", "unconditional"),
            ("themes", "医疗卫生, 社会保障"),
            ("domain", "government"),
            ("importance", "ordinary"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/dataset/clinic-visits/upload");
    // A bad name re-renders the form with the error and the entered values.
    let r = c
        .post(s.url("/publish/new"))
        .form(&[
            ("name", "Bad Name"),
            ("title", "保留的标题"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("保留的标题") && body.contains("role=\"alert\""));

    let csv = "姓名,手机号,年龄\n张三,13812345678,30\n李四,13987654321,41\n";
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("resource", "visits")
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("visits.csv"),
        );
    let r = c
        .post(s.url("/dataset/clinic-visits/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page_text(&c, s.url("/dataset/clinic-visits")).await;
    assert!(html.contains("data-column=\"手机号\""));
    assert!(html.contains("手机号码"), "the finding is shown");
    assert!(html.contains("有条件开放"), "tightened to conditional");

    // A bad upload re-renders the upload form with a message.
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("resource", "visits")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"a,a\n1,2\n".to_vec()).file_name("dup.csv"),
        );
    let r = c
        .post(s.url("/dataset/clinic-visits/upload"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("role=\"alert\""));
    assert!(body.contains("重名"), "the error is explained in Chinese");

    // Lowering a grade in the form files a request that the authority sees in its queue.
    let r = c
        .post(s.url("/dataset/clinic-visits/grade"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("resource", "visits"),
            ("column", "手机号"),
            ("grade", "L1"),
            ("reason", "测试号码"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"],
        "/dataset/clinic-visits?msg=requested"
    );
    let admin = sign_in(&s, "admin").await;
    let queue = page_text(&admin, s.url("/requests")).await;
    assert!(queue.contains("手机号: L3 → L1"), "{queue}");
    let _ = cast;
    let _ = json!({});
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_login() {
    let s = TestServer::start().await;
    let r = client().get(s.url("/publish/new")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?next="));
}
