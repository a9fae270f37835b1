//! The store story: one scenario that walks through every [`Store`] method, run against SQLite
//! always and against PostgreSQL when `GONGSHU_TEST_DATABASE_URL` names a server (CI sets it).
//!
//! The PostgreSQL run creates a database of its own (`gongshu_test_<random>`) on that server and
//! drops it afterwards, so runs never see each other's rows.

use model::classification::{Domain, Grade, Importance, OpeningType};
use model::pii::{PiiFinding, PiiKind};
use model::role::{OrgKind, Role};
use sqlx::{Connection, Executor};
use std::collections::BTreeSet;
use store::*;

/// A fixed clock: the store never reads the time itself, so the story controls it.
const T0: i64 = 1_700_000_000_000;
const MINUTE: i64 = 60_000;

#[tokio::test]
async fn story_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("meta.db").display());
    let store = store::connect(&url).await.unwrap();
    assert_eq!(store.backend(), "sqlite");
    let story_dataset = story(store.clone()).await;
    drop(store);

    // Reopening runs the migrations again (a no-op) and finds what the story left behind.
    let store = store::connect(&url).await.unwrap();
    let kept = store.get_dataset_by_name(&story_dataset).await.unwrap();
    assert_eq!(kept.meta.title, "公交线路");
}

#[tokio::test]
async fn story_on_postgres() {
    let Ok(admin_url) = std::env::var("GONGSHU_TEST_DATABASE_URL") else {
        eprintln!(
            "story_on_postgres skipped: set GONGSHU_TEST_DATABASE_URL=postgres://… to run it"
        );
        return;
    };
    let name = format!("gongshu_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();

    // The story runs in its own task so that a failed assertion still lets us drop the database.
    let url = with_database(&admin_url, &name);
    let outcome = tokio::spawn(async move {
        let store = store::connect(&url).await.unwrap();
        assert_eq!(store.backend(), "postgres");
        story(store).await;
        // Reconnecting must find the schema current and leave it alone.
        store::connect(&url).await.unwrap().ping().await.unwrap();
    })
    .await;

    // FORCE ends the pool's connections, which close lazily after the store is dropped.
    admin
        .execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str())
        .await
        .unwrap();
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// `postgres://user@host:port/db?params` with the database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (base, params) = match url.split_once('?') {
        Some((base, params)) => (base, format!("?{params}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    format!("{server}/{database}{params}")
}

#[test]
fn with_database_replaces_only_the_database() {
    let check = |url: &str, expected: &str| assert_eq!(with_database(url, "x"), expected);
    check("postgres://u@h:5432/postgres", "postgres://u@h:5432/x");
    check("postgres://u@h:5432", "postgres://u@h:5432/x");
    check(
        "postgres://u:p@h/db?sslmode=disable",
        "postgres://u:p@h/x?sslmode=disable",
    );
}

#[tokio::test]
async fn sqlite_refuses_a_schema_from_a_newer_gongshu() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("meta.db").display());
    drop(store::connect(&url).await.unwrap());

    // Pretend a newer build applied a migration this build does not have.
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, 'from the future', TRUE, X'00', 0)",
    )
    .bind(99_990_101_000_000_i64)
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    match store::connect(&url).await {
        Err(StoreError::NewerSchema(v)) => assert_eq!(v, 99_990_101_000_000),
        Err(e) => panic!("expected NewerSchema, got {e}"),
        Ok(_) => panic!("expected NewerSchema, the store opened"),
    }
}

/// The store writes one SQL text for both backends with PostgreSQL's `$N` placeholders; this
/// pins down that sqlx's SQLite driver binds `$N` by number, including out of order and reused.
#[tokio::test]
async fn sqlite_binds_dollar_placeholders_by_number() {
    let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
        .await
        .unwrap();
    let row: (String, i64) = sqlx::query_as("SELECT $2 || $1 || $2, $3 + $3")
        .bind("a")
        .bind("b")
        .bind(20_i64)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(row, ("bab".to_string(), 40));
}

#[tokio::test]
async fn unsupported_url_is_refused() {
    assert!(matches!(
        store::connect("mysql://localhost/x").await,
        Err(StoreError::UnsupportedUrl)
    ));
}

/// The ids of the change requests a listing returns, in its order.
async fn request_ids(
    store: &DynStore,
    status: Option<RequestStatus>,
    dataset_id: Option<&str>,
) -> Vec<String> {
    let requests = store
        .list_change_requests(status, dataset_id)
        .await
        .unwrap();
    requests.into_iter().map(|r| r.id).collect()
}

fn conflict_on<T>(result: Result<T>, field: &str) {
    match result {
        Err(StoreError::Conflict(f)) => assert_eq!(f, field),
        Err(e) => panic!("expected Conflict({field}), got {e}"),
        Ok(_) => panic!("expected Conflict({field}), got Ok"),
    }
}

fn not_found<T>(result: Result<T>) {
    match result {
        Err(StoreError::NotFound) => {}
        Err(e) => panic!("expected NotFound, got {e}"),
        Ok(_) => panic!("expected NotFound, got Ok"),
    }
}

fn meta(title: &str, opening_type: OpeningType) -> DatasetMeta {
    DatasetMeta {
        title: title.to_string(),
        description: "杭州市公交线路与站点，含“引号”和 emoji 🚌".to_string(),
        themes: vec!["交通出行".to_string(), "城市建设".to_string()],
        tags: vec!["公交".to_string(), "bus".to_string()],
        update_frequency: "monthly".to_string(),
        license: "CC-BY-4.0".to_string(),
        spatial: "杭州市".to_string(),
        temporal: "2024".to_string(),
        contact: "data@example.gov.cn".to_string(),
        domain: Domain::Government,
        opening_type,
        importance: Importance::Ordinary,
    }
}

fn column(name: &str, findings: Vec<PiiFinding>, proposed_grade: Grade) -> ColumnInfo {
    ColumnInfo {
        name: name.to_string(),
        data_type: "string".to_string(),
        profile: serde_json::json!({"null_rate": 0.0, "top": [["13800001234", 3]]}),
        findings,
        proposed_grade,
    }
}

fn new_version(resource_id: &str, path: &str, columns: Vec<ColumnInfo>, now: i64) -> NewVersion {
    NewVersion {
        resource_id: resource_id.to_string(),
        path: path.to_string(),
        source_format: "csv".to_string(),
        source_name: "线路.csv".to_string(),
        source_encoding: Some("GBK".to_string()),
        row_count: 42,
        byte_size: 4096,
        sha256: "ab".repeat(32),
        columns,
        created_by: "someone".to_string(),
        now,
    }
}

/// Walks through every method of the store; returns the name of a dataset it leaves behind.
async fn story(store: DynStore) -> String {
    store.ping().await.unwrap();

    // Organizations: unique name and credit code; several may have no credit code.
    let new_org = |name: &str, kind: OrgKind, uscc: Option<&str>| NewOrganization {
        name: name.to_string(),
        title: format!("{name} 标题"),
        kind,
        uscc: uscc.map(str::to_string),
        description: String::new(),
        now: T0,
    };
    let transport = store
        .create_org(new_org("transport", OrgKind::Department, None))
        .await
        .unwrap();
    let authority = store
        .create_org(new_org("authority", OrgKind::Authority, None))
        .await
        .unwrap();
    let firm = store
        .create_org(new_org(
            "firm",
            OrgKind::Enterprise,
            Some("91330100MA2XXXXX1X"),
        ))
        .await
        .unwrap();
    conflict_on(
        store
            .create_org(new_org("transport", OrgKind::Department, None))
            .await,
        "name",
    );
    conflict_on(
        store
            .create_org(new_org(
                "firm2",
                OrgKind::Enterprise,
                Some("91330100MA2XXXXX1X"),
            ))
            .await,
        "uscc",
    );
    assert_eq!(store.get_org(&firm.id).await.unwrap(), firm);
    assert_eq!(store.get_org_by_name("transport").await.unwrap(), transport);
    not_found(store.get_org("nope").await);
    not_found(store.get_org_by_name("nope").await);
    let names: Vec<_> = store
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, ["authority", "firm", "transport"]);

    // Users.
    let new_user = |username: &str, role: Role, org_id: Option<&str>| NewUser {
        username: username.to_string(),
        display_name: format!("{username} 名"),
        role,
        org_id: org_id.map(str::to_string),
        password_hash: "$argon2id$v=19$first".to_string(),
        now: T0,
    };
    let staff = store
        .create_user(new_user("wang", Role::Staff, Some(&transport.id)))
        .await
        .unwrap();
    let admin = store
        .create_user(new_user("admin", Role::Authority, Some(&authority.id)))
        .await
        .unwrap();
    conflict_on(
        store
            .create_user(new_user("wang", Role::Citizen, None))
            .await,
        "username",
    );
    not_found(
        store
            .create_user(new_user("orphan", Role::Staff, Some("no-such-org")))
            .await,
    );
    assert_eq!(store.get_user(&staff.id).await.unwrap(), staff);
    assert_eq!(store.get_user_by_username("admin").await.unwrap(), admin);
    not_found(store.get_user("nope").await);
    not_found(store.get_user_by_username("nope").await);
    let names: Vec<_> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["admin", "wang"]);
    store
        .set_password_hash(&staff.id, "$argon2id$v=19$second", T0)
        .await
        .unwrap();
    assert_eq!(
        store.get_user(&staff.id).await.unwrap().password_hash,
        "$argon2id$v=19$second"
    );
    not_found(store.set_password_hash("nope", "x", T0).await);

    // Sessions expire, and logging out removes them.
    let session = Session {
        id_hash: "s1".to_string(),
        user_id: staff.id.clone(),
        csrf_token: "csrf".to_string(),
        created_at: T0,
        expires_at: T0 + 30 * MINUTE,
    };
    store.create_session(session.clone()).await.unwrap();
    assert_eq!(store.get_session("s1", T0 + MINUTE).await.unwrap(), session);
    not_found(store.get_session("s1", T0 + 30 * MINUTE).await);
    not_found(store.get_session("unknown", T0).await);
    store.delete_session("s1").await.unwrap();
    not_found(store.get_session("s1", T0 + MINUTE).await);
    store.delete_session("s1").await.unwrap();
    // A new password ends the user's sessions.
    store.create_session(session.clone()).await.unwrap();
    store
        .set_password_hash(&staff.id, "$argon2id$v=19$third", T0)
        .await
        .unwrap();
    not_found(store.get_session("s1", T0 + MINUTE).await);

    // API tokens: newest first, revocable only by their owner, revocation time kept.
    let token = |id: &str, created_at: i64| ApiToken {
        id: id.to_string(),
        user_id: staff.id.clone(),
        name: format!("token {id}"),
        token_hash: format!("hash-{id}"),
        created_at,
        expires_at: if id == "t1" {
            Some(T0 + 1000 * MINUTE)
        } else {
            None
        },
        revoked_at: None,
    };
    store.create_token(token("t1", T0)).await.unwrap();
    store.create_token(token("t2", T0 + MINUTE)).await.unwrap();
    conflict_on(
        store
            .create_token(ApiToken {
                id: "t3".into(),
                ..token("t1", T0)
            })
            .await,
        "token_hash",
    );
    assert_eq!(
        store.get_token_by_hash("hash-t1").await.unwrap(),
        token("t1", T0)
    );
    not_found(store.get_token_by_hash("hash-none").await);
    let ids: Vec<_> = store
        .list_tokens(&staff.id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, ["t2", "t1"]);
    assert!(store.list_tokens(&admin.id).await.unwrap().is_empty());
    not_found(store.revoke_token(&admin.id, "t1", T0 + 2 * MINUTE).await);
    store
        .revoke_token(&staff.id, "t1", T0 + 2 * MINUTE)
        .await
        .unwrap();
    store
        .revoke_token(&staff.id, "t1", T0 + 3 * MINUTE)
        .await
        .unwrap();
    let revoked = store.get_token_by_hash("hash-t1").await.unwrap();
    assert_eq!(revoked.revoked_at, Some(T0 + 2 * MINUTE));
    assert_eq!(
        store.get_token_by_hash("hash-t2").await.unwrap().revoked_at,
        None
    );
    // A new password revokes the tokens still live, and keeps earlier revocation times.
    store
        .set_password_hash(&staff.id, "$argon2id$v=19$fourth", T0 + 4 * MINUTE)
        .await
        .unwrap();
    assert_eq!(
        store.get_token_by_hash("hash-t2").await.unwrap().revoked_at,
        Some(T0 + 4 * MINUTE)
    );
    assert_eq!(
        store.get_token_by_hash("hash-t1").await.unwrap().revoked_at,
        Some(T0 + 2 * MINUTE)
    );

    // Datasets: JSON and enum fields come back as they went in.
    let new_dataset = |name: &str, org: &Organization, opening: OpeningType, now: i64| NewDataset {
        name: name.to_string(),
        org_id: org.id.clone(),
        meta: meta(&format!("{name} 标题"), opening),
        grade: Grade::L1,
        now,
    };
    let mut bus = store
        .create_dataset(NewDataset {
            meta: meta("公交线路", OpeningType::Unconditional),
            ..new_dataset("bus-routes", &transport, OpeningType::Unconditional, T0)
        })
        .await
        .unwrap();
    assert_eq!(bus.created_at, T0);
    assert_eq!(bus.modified_at, T0);
    assert_eq!(
        (bus.view_count, bus.download_count, bus.quality_score),
        (0, 0, None)
    );
    assert_eq!(store.get_dataset(&bus.id).await.unwrap(), bus);
    assert_eq!(store.get_dataset_by_name("bus-routes").await.unwrap(), bus);
    not_found(store.get_dataset("nope").await);
    not_found(store.get_dataset_by_name("nope").await);
    conflict_on(
        store
            .create_dataset(new_dataset(
                "bus-routes",
                &firm,
                OpeningType::Conditional,
                T0,
            ))
            .await,
        "name",
    );
    not_found(
        store
            .create_dataset(NewDataset {
                org_id: "no-such-org".into(),
                ..new_dataset("orphan", &firm, OpeningType::Conditional, T0)
            })
            .await,
    );

    // Every mutable field is written; the identity fields are not.
    bus.meta.themes = vec!["交通出行".to_string()];
    bus.meta.tags.clear();
    bus.meta.domain = Domain::Enterprise;
    bus.meta.importance = Importance::Important;
    bus.meta.opening_type = OpeningType::NotOpen;
    bus.grade = Grade::L2;
    bus.modified_at = T0 + MINUTE;
    bus.view_count = 7;
    bus.download_count = 3;
    bus.quality_score = Some(87.5);
    let stored = store.update_dataset(&bus).await.unwrap();
    assert_eq!(stored, bus);
    assert_eq!(store.get_dataset(&bus.id).await.unwrap(), bus);
    let mut renamed = bus.clone();
    renamed.name = "renamed".to_string();
    renamed.created_at = 1;
    assert_eq!(store.update_dataset(&renamed).await.unwrap(), bus);
    not_found(
        store
            .update_dataset(&Dataset {
                id: "nope".into(),
                ..bus.clone()
            })
            .await,
    );
    bus.meta.opening_type = OpeningType::Unconditional;
    bus.meta.importance = Importance::Ordinary;
    bus = store.update_dataset(&bus).await.unwrap();

    // Listing: filters, newest-modified first (name breaks ties), paging, total before paging.
    for (i, name) in ["d-a", "d-b", "d-c", "d-d"].iter().enumerate() {
        let opening = if i % 2 == 0 {
            OpeningType::Conditional
        } else {
            OpeningType::Unconditional
        };
        store
            .create_dataset(new_dataset(name, &firm, opening, T0 + 10 * MINUTE))
            .await
            .unwrap();
    }
    let list = |org_id: Option<&str>, opening_type, offset, limit| {
        let store = store.clone();
        let filter = DatasetFilter {
            org_id: org_id.map(str::to_string),
            opening_type,
            offset,
            limit,
        };
        async move {
            let (page, total) = store.list_datasets(&filter).await.unwrap();
            (page.into_iter().map(|d| d.name).collect::<Vec<_>>(), total)
        }
    };
    use OpeningType::{Conditional, Unconditional};
    let all = ["d-a", "d-b", "d-c", "d-d", "bus-routes"];
    // org, opening type, offset, limit => names, total
    type Case<'a> = (
        Option<&'a str>,
        Option<OpeningType>,
        i64,
        i64,
        &'a [&'a str],
        i64,
    );
    #[rustfmt::skip]
    let cases: [Case; 6] = [
        (None, None, 0, 0, &all, 5),
        (Some(&firm.id), None, 1, 2, &["d-b", "d-c"], 4),
        (Some(&firm.id), Some(Conditional), 0, 0, &["d-a", "d-c"], 2),
        (None, Some(Unconditional), 0, 1, &["d-b"], 3),
        (Some(&transport.id), Some(Conditional), 0, 0, &[], 0),
        (None, None, 10, 0, &[], 5),
    ];
    for (org, opening_type, offset, limit, names, total) in cases {
        assert_eq!(
            list(org, opening_type, offset, limit).await,
            (names.iter().map(|n| n.to_string()).collect(), total),
            "org {org:?}, opening type {opening_type:?}, offset {offset}, limit {limit}"
        );
    }
    // A limit of 0 means the default of 100, not "nothing".
    for i in 0..100 {
        store
            .create_dataset(new_dataset(
                &format!("bulk-{i:03}"),
                &firm,
                OpeningType::NotOpen,
                T0,
            ))
            .await
            .unwrap();
    }
    let (page, total) = list(None, None, 0, 0).await;
    assert_eq!((page.len(), total), (100, 105));

    // Resources.
    let new_resource = |dataset: &Dataset, name: &str, now: i64| NewResource {
        dataset_id: dataset.id.clone(),
        name: name.to_string(),
        description: format!("{name} 说明"),
        now,
    };
    let routes = store
        .create_resource(new_resource(&bus, "routes", T0))
        .await
        .unwrap();
    let stops = store
        .create_resource(new_resource(&bus, "stops", T0 + MINUTE))
        .await
        .unwrap();
    conflict_on(
        store
            .create_resource(new_resource(&bus, "routes", T0))
            .await,
        "name",
    );
    let other = store.get_dataset_by_name("d-a").await.unwrap();
    let other_routes = store
        .create_resource(new_resource(&other, "routes", T0))
        .await
        .unwrap();
    not_found(
        store
            .create_resource(NewResource {
                dataset_id: "nope".into(),
                ..new_resource(&bus, "x", T0)
            })
            .await,
    );
    assert_eq!(store.get_resource(&routes.id).await.unwrap(), routes);
    not_found(store.get_resource("nope").await);
    assert_eq!(
        store.list_resources(&bus.id).await.unwrap(),
        [routes.clone(), stops.clone()]
    );

    // Publishing: numbers 1 and 2; a later version never lowers a grade, but raises one whose
    // new proposal is stricter (new personal data in a known column) and unconfirms it.
    let mobile = PiiFinding {
        kind: PiiKind::Mobile,
        matches: 40,
        scanned: 42,
    };
    let v1 = store
        .publish_version(new_version(
            &routes.id,
            "versions/routes-1.parquet",
            vec![
                column("线路", vec![], Grade::L1),
                column("司机电话", vec![mobile.clone()], Grade::L3),
            ],
            T0 + 20 * MINUTE,
        ))
        .await
        .unwrap();
    assert_eq!(v1.number, 1);
    assert_eq!(v1.columns[1].findings, std::slice::from_ref(&mobile));
    assert_eq!(store.get_version(&v1.id).await.unwrap(), v1);
    assert_eq!(
        store.get_dataset(&bus.id).await.unwrap().modified_at,
        T0 + 20 * MINUTE
    );
    let proposed = vec![
        ColumnGrade {
            resource_id: routes.id.clone(),
            column: "线路".into(),
            position: 0,
            grade: Grade::L1,
            confirmed: false,
        },
        ColumnGrade {
            resource_id: routes.id.clone(),
            column: "司机电话".into(),
            position: 1,
            grade: Grade::L3,
            confirmed: false,
        },
    ];
    assert_eq!(
        store.list_column_grades(&routes.id).await.unwrap(),
        proposed
    );

    // The publisher confirms and raises a grade; the next version must not undo that, while its
    // stricter proposal for `线路` (L1 → L2) takes effect.
    let raised = ColumnGrade {
        grade: Grade::L4,
        confirmed: true,
        ..proposed[1].clone()
    };
    store.set_column_grade(&raised).await.unwrap();
    let v2 = store
        .publish_version(new_version(
            &routes.id,
            "versions/routes-2.parquet",
            vec![
                column("线路", vec![], Grade::L2),
                column("司机电话", vec![mobile], Grade::L1),
                column("票价", vec![], Grade::L1),
            ],
            T0 + 30 * MINUTE,
        ))
        .await
        .unwrap();
    assert_eq!(v2.number, 2);
    assert_eq!(
        store.get_dataset(&bus.id).await.unwrap().modified_at,
        T0 + 30 * MINUTE
    );
    let fare = ColumnGrade {
        resource_id: routes.id.clone(),
        column: "票价".into(),
        position: 2,
        grade: Grade::L1,
        confirmed: false,
    };
    assert_eq!(
        store.list_column_grades(&routes.id).await.unwrap(),
        [
            ColumnGrade {
                grade: Grade::L2,
                ..proposed[0].clone()
            },
            raised.clone(),
            fare.clone()
        ]
    );
    let ids: Vec<_> = store
        .list_versions(&routes.id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert_eq!(ids, [v2.id.clone(), v1.id.clone()]);
    not_found(store.get_version("nope").await);
    not_found(
        store
            .publish_version(new_version("nope", "versions/x.parquet", vec![], T0))
            .await,
    );
    // Numbering is per resource.
    let other_v1 = store
        .publish_version(new_version(
            &other_routes.id,
            "versions/other-1.parquet",
            vec![],
            T0,
        ))
        .await
        .unwrap();
    assert_eq!(other_v1.number, 1);

    // Concurrent uploads to one resource still get distinct, consecutive numbers.
    let uploads: Vec<_> = (0..6)
        .map(|i| {
            let store = store.clone();
            let stops = stops.id.clone();
            tokio::spawn(async move {
                let path = format!("versions/stops-{i}.parquet");
                store
                    .publish_version(new_version(&stops, &path, vec![], T0 + 40 * MINUTE))
                    .await
            })
        })
        .collect();
    let mut numbers = BTreeSet::new();
    for upload in uploads {
        numbers.insert(upload.await.unwrap().unwrap().number);
    }
    assert_eq!(numbers, (1..=6).collect());

    // Setting a grade inserts it if the column has none; a resource that does not exist is refused.
    let new_column = ColumnGrade {
        resource_id: routes.id.clone(),
        column: "备注".into(),
        position: 3,
        grade: Grade::L2,
        confirmed: true,
    };
    store.set_column_grade(&new_column).await.unwrap();
    assert_eq!(store.list_column_grades(&routes.id).await.unwrap().len(), 4);
    not_found(
        store
            .set_column_grade(&ColumnGrade {
                resource_id: "nope".into(),
                ..new_column.clone()
            })
            .await,
    );

    // Change requests: only a pending request can be decided, once.
    let lower_grade = ChangeTarget::ColumnGrade {
        resource_id: routes.id.clone(),
        column: "司机电话".into(),
        from: Grade::L4,
        to: Grade::L3,
    };
    let request = store
        .create_change_request(NewChangeRequest {
            dataset_id: bus.id.clone(),
            change: lower_grade.clone(),
            reason: "号码已脱敏".into(),
            requested_by: staff.id.clone(),
            now: T0 + 50 * MINUTE,
        })
        .await
        .unwrap();
    assert_eq!(request.status, RequestStatus::Pending);
    assert_eq!(
        store.get_change_request(&request.id).await.unwrap(),
        request
    );
    let loosen = store
        .create_change_request(NewChangeRequest {
            dataset_id: other.id.clone(),
            change: ChangeTarget::OpeningType {
                from: OpeningType::Conditional,
                to: OpeningType::Unconditional,
            },
            reason: "不含个人信息".into(),
            requested_by: staff.id.clone(),
            now: T0 + 51 * MINUTE,
        })
        .await
        .unwrap();
    not_found(
        store
            .create_change_request(NewChangeRequest {
                dataset_id: "nope".into(),
                change: lower_grade,
                reason: String::new(),
                requested_by: staff.id.clone(),
                now: T0,
            })
            .await,
    );
    not_found(store.get_change_request("nope").await);
    let all = request_ids(&store, None, None).await;
    assert_eq!(all, [loosen.id.as_str(), request.id.as_str()]);
    assert_eq!(
        request_ids(&store, None, Some(&bus.id)).await,
        [request.id.as_str()]
    );

    let decided = store
        .decide_change_request(
            &request.id,
            RequestStatus::Approved,
            &admin.id,
            "同意",
            T0 + 60 * MINUTE,
        )
        .await
        .unwrap();
    assert_eq!(decided.status, RequestStatus::Approved);
    assert_eq!(decided.decided_by.as_deref(), Some(admin.id.as_str()));
    assert_eq!(decided.decision_note.as_deref(), Some("同意"));
    assert_eq!(decided.decided_at, Some(T0 + 60 * MINUTE));
    assert_eq!(decided.change, request.change);
    conflict_on(
        store
            .decide_change_request(
                &request.id,
                RequestStatus::Rejected,
                &admin.id,
                "改主意",
                T0 + 61 * MINUTE,
            )
            .await,
        "status",
    );
    assert_eq!(
        store.get_change_request(&request.id).await.unwrap(),
        decided
    );
    conflict_on(
        store
            .decide_change_request(&loosen.id, RequestStatus::Pending, &admin.id, "", T0)
            .await,
        "status",
    );
    not_found(
        store
            .decide_change_request("nope", RequestStatus::Rejected, &admin.id, "", T0)
            .await,
    );
    let pending = request_ids(&store, Some(RequestStatus::Pending), None).await;
    assert_eq!(pending, [loosen.id.as_str()]);
    let approved = request_ids(&store, Some(RequestStatus::Approved), None).await;
    assert_eq!(approved, [request.id.as_str()]);
    let none = request_ids(&store, Some(RequestStatus::Approved), Some(&other.id)).await;
    assert!(none.is_empty());

    // Deleting a resource returns its version files and takes its versions and grades along.
    let mut all_paths = store.all_version_paths().await.unwrap();
    assert_eq!(all_paths.len(), 2 + 1 + 6);
    let stops_paths = store.delete_resource(&stops.id).await.unwrap();
    assert_eq!(stops_paths.len(), 6);
    assert!(stops_paths.iter().all(|p| p.starts_with("versions/stops-")));
    not_found(store.get_resource(&stops.id).await);
    assert!(store.list_versions(&stops.id).await.unwrap().is_empty());
    not_found(store.delete_resource(&stops.id).await);
    all_paths.retain(|p| !stops_paths.contains(p));
    assert_eq!(store.all_version_paths().await.unwrap(), all_paths);

    // Deleting a dataset returns its version files and removes every child.
    let mut paths = store.delete_dataset(&bus.id).await.unwrap();
    paths.sort();
    assert_eq!(
        paths,
        ["versions/routes-1.parquet", "versions/routes-2.parquet"]
    );
    not_found(store.get_dataset(&bus.id).await);
    not_found(store.get_resource(&routes.id).await);
    not_found(store.get_version(&v1.id).await);
    not_found(store.get_change_request(&request.id).await);
    assert!(store.list_resources(&bus.id).await.unwrap().is_empty());
    assert!(store.list_versions(&routes.id).await.unwrap().is_empty());
    assert!(store
        .list_column_grades(&routes.id)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list_change_requests(None, Some(&bus.id))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.all_version_paths().await.unwrap(),
        ["versions/other-1.parquet"]
    );
    not_found(store.delete_dataset(&bus.id).await);
    // The other dataset and its request are untouched.
    assert_eq!(store.get_change_request(&loosen.id).await.unwrap(), loosen);
    assert_eq!(
        store.list_resources(&other.id).await.unwrap(),
        [other_routes]
    );

    // The name is free again; the caller's "kept" check reads this one back.
    store
        .create_dataset(NewDataset {
            meta: meta("公交线路", OpeningType::Unconditional),
            ..new_dataset(
                "bus-routes",
                &transport,
                OpeningType::Unconditional,
                T0 + 70 * MINUTE,
            )
        })
        .await
        .unwrap();
    "bus-routes".to_string()
}
