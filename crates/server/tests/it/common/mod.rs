//! A server on port 0 over a fresh data directory, with helpers to sign in and call the API.

#![allow(dead_code)]

use app::accounts::{self, NewOrgInput, NewUserInput};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use server::Config;
use std::path::PathBuf;
use tokio::sync::oneshot;

pub struct TestServer {
    pub base: String,
    pub data_dir: PathBuf,
    /// The running platform, for setting up through the application layer.
    pub app: server::state::SharedState,
    /// The settings it started with.
    pub config: Config,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

pub fn config(dir: &std::path::Path) -> Config {
    Config {
        data_dir: dir.to_path_buf(),
        database_url: std::env::var("GONGSHU_TEST_SERVER_DATABASE_URL").ok(),
        max_upload_bytes: 2 << 20,
        login_attempts: 3,
        ..Config::default()
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        Self::start_inner(adjust, None).await
    }

    /// [`Self::start_with`], the platform sending every query that reads a file to the cluster
    /// whose scheduler `client` reaches.
    pub async fn start_on_cluster(
        adjust: impl FnOnce(&mut Config),
        client: std::sync::Arc<cluster::Client>,
    ) -> TestServer {
        Self::start_inner(
            |c| {
                adjust(c);
                c.cluster_url = Some(client.url().to_string());
                c.cluster_threshold_mb = 0;
            },
            Some(client.clone()),
        )
        .await
    }

    async fn start_inner(
        adjust: impl FnOnce(&mut Config),
        cluster: Option<std::sync::Arc<cluster::Client>>,
    ) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = config(dir.path());
        adjust(&mut cfg);
        let mut platform = app::App::start(cfg.clone()).await.expect("server builds");
        if let Some(client) = cluster {
            platform = platform.with_cluster(client);
        }
        let built = server::with_app(platform);
        let app = built.app.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(server::serve(built, listener, async {
            let _ = rx.await;
        }));
        TestServer {
            base: format!("http://{addr}"),
            data_dir: cfg.data_dir.clone(),
            app,
            config: cfg,
            _dir: dir,
            stop: Some(tx),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A connection of its own to the server's metadata database, for tests that set up or
    /// inspect records below the application layer.
    pub async fn store(&self) -> store::DynStore {
        store::connect(&self.config.effective_database_url())
            .await
            .expect("the test database opens")
    }

    /// Creates an organization directly through the service layer.
    pub async fn org(&self, name: &str, kind: model::role::OrgKind, uscc: Option<&str>) {
        accounts::create_org(
            &self.app,
            NewOrgInput {
                name: name.into(),
                title: format!("{name} title"),
                kind,
                uscc: uscc.map(Into::into),
                description: String::new(),
            },
            app::clock::now_ms(),
        )
        .await
        .unwrap_or_else(|e| panic!("org {name}: {}", e.message));
    }

    /// Creates a user and returns an API token for them.
    pub async fn user(&self, username: &str, role: model::Role, org: Option<&str>) -> String {
        let u = accounts::create_user(
            &self.app,
            NewUserInput {
                username: username.into(),
                display_name: None,
                role,
                organization: org.map(Into::into),
                password: format!("{username}-password"),
            },
            app::clock::now_ms(),
        )
        .await
        .unwrap_or_else(|e| panic!("user {username}: {}", e.message));
        let (_, secret) = app::auth::create_token(&self.app, &u, "test", None, None)
            .await
            .unwrap();
        secret
    }

    /// A department `transport` with staff `alice`, another department `health` with staff `bob`,
    /// the authority with `admin`, and a citizen `carol`. Returns their tokens.
    pub async fn standard_cast(&self) -> Cast {
        use model::role::OrgKind;
        self.org("authority", OrgKind::Authority, None).await;
        self.org("transport", OrgKind::Department, None).await;
        self.org("health", OrgKind::Department, None).await;
        Cast {
            admin: self
                .user("admin", model::Role::Authority, Some("authority"))
                .await,
            alice: self
                .user("alice", model::Role::Staff, Some("transport"))
                .await,
            bob: self.user("bob", model::Role::Staff, Some("health")).await,
            carol: self.user("carol", model::Role::Citizen, None).await,
        }
    }

    /// Files left in the versions and staging directories.
    pub fn data_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![
            self.data_dir.join("versions"),
            self.data_dir.join("staging"),
        ];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    out.push(e.path());
                }
            }
        }
        out
    }
}

pub struct Cast {
    pub admin: String,
    pub alice: String,
    pub bob: String,
    pub carol: String,
}

pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub async fn call(
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    parse(req.send().await.unwrap()).await
}

pub async fn parse(resp: Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

pub fn error_code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<no error code>")
}

/// Creates a dataset as `token` and returns the response.
pub async fn create_dataset(
    s: &TestServer,
    token: &str,
    name: &str,
    extra: Value,
) -> (StatusCode, Value) {
    let mut body = json!({ "name": name, "title": format!("Title of {name}") });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    call(
        reqwest::Method::POST,
        &s.url("/api/v1/datasets"),
        Some(token),
        Some(body),
    )
    .await
}

/// Uploads bytes as `file_name` to a dataset's resource.
pub async fn upload(
    s: &TestServer,
    token: &str,
    dataset: &str,
    resource: &str,
    file_name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string());
    let form = reqwest::multipart::Form::new().part("file", part);
    let resp = client()
        .post(s.url(&format!(
            "/api/v1/datasets/{dataset}/resources/{resource}/versions"
        )))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    parse(resp).await
}

/// The value of a hidden form field in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

/// The body of a GET as text.
pub async fn page_text(c: &Client, url: String) -> String {
    c.get(url).send().await.unwrap().text().await.unwrap()
}

/// Opens the login form and returns its CSRF token (the client keeps the matching cookie).
pub async fn login_form_token(c: &Client, s: &TestServer) -> String {
    let html = page_text(c, s.url("/login")).await;
    hidden(&html, "csrf")
}

/// Submits the login form.
pub async fn post_login(
    c: &Client,
    s: &TestServer,
    user: &str,
    password: &str,
    csrf: &str,
) -> Response {
    c.post(s.url("/login"))
        .form(&[("username", user), ("password", password), ("csrf", csrf)])
        .send()
        .await
        .unwrap()
}

/// The `Set-Cookie` value of the session cookie in a response.
pub fn session_cookie(r: &Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|v| v.starts_with("gongshu_session="))
        .expect("session cookie")
}

/// A client signed in through the portal as one of the standard cast (password `<name>-password`).
pub async fn sign_in(s: &TestServer, user: &str) -> Client {
    let c = client();
    let csrf = login_form_token(&c, s).await;
    let r = post_login(&c, s, user, &format!("{user}-password"), &csrf).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    c
}
