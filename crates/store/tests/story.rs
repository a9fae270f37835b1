//! The store story: one scenario that walks through every [`Store`] method, run against SQLite
//! always and against PostgreSQL when `GONGSHU_TEST_DATABASE_URL` names a server (CI sets it).
//!
//! The PostgreSQL run creates a database of its own (`gongshu_test_<random>`) on that server and
//! drops it afterwards, so runs never see each other's rows.

use model::access::{Grantee, Mode};
use model::application::{ApplicationStatus, PurposeCategory, ResultKind, ReviewStep, Terms};
use model::classification::{Domain, Grade, Importance, OpeningType};
use model::demand::{DemandStatus, RejectionReason, Target};
use model::filter::{Condition, Literal, Op};
use model::pii::{PiiFinding, PiiKind};
use model::role::{OrgKind, Role};
use sqlx::Connection;
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
    testkit::with_postgres("gongshu_test", |url| async move {
        let store = store::connect(&url).await.unwrap();
        assert_eq!(store.backend(), "postgres");
        story(store).await;
        // Reconnecting must find the schema current and leave it alone.
        store::connect(&url).await.unwrap().ping().await.unwrap();
    })
    .await;
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
    login_throttling(&store).await;
    catalog_feed(&store).await;

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

    // The data dictionary: empty until saved, then replaced whole, and gone with its resource.
    assert!(store.column_notes(&routes.id).await.unwrap().is_empty());
    let note = |column: &str, description: &str, key: bool| model::dictionary::ColumnNote {
        column: column.into(),
        description: description.into(),
        key,
        order: false,
    };
    let notes = vec![
        note("线路", "公交线路编号", true),
        note("票价", "单程票价，元", false),
    ];
    store
        .set_column_notes(&routes.id, &notes, &staff.id, T0)
        .await
        .unwrap();
    assert_eq!(store.column_notes(&routes.id).await.unwrap(), notes);
    store
        .set_column_notes(&routes.id, &notes[1..], &staff.id, T0 + 1)
        .await
        .unwrap();
    assert_eq!(store.column_notes(&routes.id).await.unwrap(), &notes[1..]);
    store
        .set_column_notes(&stops.id, &notes[..1], &staff.id, T0)
        .await
        .unwrap();
    not_found(
        store
            .publish_version(new_version("nope", "versions/x.parquet", vec![], T0))
            .await,
    );

    // Quality: each version's measures and assessment are kept; the latest per resource is
    // found; the dataset's score is set; a version has one record.
    let quality = |v: &Version, score: f64| {
        let measures = model::quality::VersionMeasures {
            rows: 10,
            columns: Vec::new(),
            rows_checked: 10,
            duplicate_rows: 1,
            key: Vec::new(),
            duplicate_keys: 0,
            empty_keys: 0,
            columns_added: Vec::new(),
            columns_removed: Vec::new(),
            columns_retyped: Vec::new(),
            has_previous: v.number > 1,
        };
        let assessment = model::quality::assess([1.0, 1.0, 0.9, 1.0], 1.0, 1.0, Vec::new());
        VersionQuality {
            version_id: v.id.clone(),
            dataset_id: bus.id.clone(),
            resource_id: v.resource_id.clone(),
            rows: 10,
            measured_at: v.created_at,
            score,
            letter: model::quality::letter(score).to_string(),
            measures,
            assessment,
        }
    };
    let (q1, q2) = (quality(&v1, 71.5), quality(&v2, 93.25));
    let unmeasured = store.versions_without_quality().await.unwrap();
    assert!(unmeasured.contains(&(bus.id.clone(), v1.id.clone())));
    assert!(unmeasured.contains(&(bus.id.clone(), v2.id.clone())));
    store.put_version_quality(&q1).await.unwrap();
    store.put_version_quality(&q2).await.unwrap();
    conflict_on(store.put_version_quality(&q2).await, "version_id");
    assert_eq!(
        store.dataset_quality_history(&bus.id).await.unwrap(),
        [q1.clone(), q2.clone()]
    );
    assert_eq!(
        store.latest_quality(&bus.id).await.unwrap(),
        std::slice::from_ref(&q2)
    );
    let unmeasured = store.versions_without_quality().await.unwrap();
    assert!(!unmeasured.iter().any(|(_, v)| v == &v1.id || v == &v2.id));

    assert!(store.latest_quality("nope").await.unwrap().is_empty());
    store.set_quality_score(&bus.id, Some(88.5)).await.unwrap();
    assert_eq!(
        store.get_dataset(&bus.id).await.unwrap().quality_score,
        Some(88.5)
    );
    not_found(store.set_quality_score("nope", None).await);
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

    // A rewritten version points at its new file only if it still pointed at the old one.
    let versions = store.all_versions().await.unwrap();
    assert_eq!(versions.len(), 2 + 1 + 6);
    let first = &versions[0];
    let file = VersionFile {
        path: format!("{}.rewritten", first.path),
        byte_size: first.byte_size + 1,
        sha256: "ab".repeat(32),
    };
    store
        .replace_version_file(&first.id, &first.path, &file)
        .await
        .unwrap();
    let now = store.get_version(&first.id).await.unwrap();
    assert_eq!(
        (now.path.as_str(), now.byte_size, now.sha256.as_str()),
        (file.path.as_str(), file.byte_size, file.sha256.as_str())
    );
    assert_eq!(now.row_count, first.row_count);
    assert!(matches!(
        store
            .replace_version_file(&first.id, &first.path, &file)
            .await,
        Err(StoreError::Conflict(_))
    ));
    not_found(store.replace_version_file("nope", &first.path, &file).await);
    let back = VersionFile {
        path: first.path.clone(),
        byte_size: first.byte_size,
        sha256: first.sha256.clone(),
    };
    store
        .replace_version_file(&first.id, &file.path, &back)
        .await
        .unwrap();

    // Deleting a resource returns its version files and takes its versions and grades along.
    let mut all_paths = store.all_version_paths().await.unwrap();
    assert_eq!(all_paths.len(), 2 + 1 + 6);
    let stops_paths = store.delete_resource(&stops.id).await.unwrap();
    assert_eq!(stops_paths.len(), 6);
    assert!(stops_paths.iter().all(|p| p.starts_with("versions/stops-")));
    not_found(store.get_resource(&stops.id).await);
    assert!(store.list_versions(&stops.id).await.unwrap().is_empty());
    not_found(store.delete_resource(&stops.id).await);
    assert!(store.column_notes(&stops.id).await.unwrap().is_empty());
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

    applications(&store, &transport, &firm, &staff, &admin).await;
    demands(&store, &transport, &staff, &admin).await;
    consultations(&store, &transport, &firm, &staff, &admin).await;
    feedback(&store, &transport, &firm, &staff).await;
    points(&store, &staff, &admin).await;
    activities(&store, &staff).await;
    access_log(&store).await;
    contribution(&store, &transport, &staff).await;
    cleanroom(&store, &transport, &firm, &staff).await;

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

fn terms(columns: &[&str], quota: Option<i64>) -> Terms {
    Terms {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        row_filter: vec![Condition {
            column: "区县".to_string(),
            op: Op::Eq,
            value: Some(Literal::Str("西湖区".to_string())),
        }],
        modes: vec![Mode::Api, Mode::Download],
        duration_days: 90,
        daily_row_quota: quota,
    }
}

fn new_grant(grantee: Grantee, terms: &Terms, now: i64) -> NewGrant {
    NewGrant {
        grantee,
        terms: terms.clone(),
        l4_masked_approved: false,
        privacy_budget: Some(1.5),
        valid_from: now,
        valid_until: now + terms.duration_days * 24 * 60 * MINUTE,
    }
}

fn approve(
    reviewer: &User,
    step: ReviewStep,
    terms: &Terms,
    note: &str,
    grantee: Grantee,
    now: i64,
) -> ApplicationDecision {
    ApplicationDecision::Approve {
        reviewer: reviewer.id.clone(),
        step,
        approved: terms.clone(),
        note: note.to_string(),
        grant: new_grant(grantee, terms, now),
    }
}

fn reject(reviewer: &User, step: ReviewStep, reason: &str) -> ApplicationDecision {
    ApplicationDecision::Reject {
        reviewer: reviewer.id.clone(),
        step,
        reason: reason.to_string(),
    }
}

fn submit(agreement: &Agreement) -> ApplicationDecision {
    ApplicationDecision::Submit {
        agreement_version: agreement.version,
        agreement_sha256: agreement.sha256.clone(),
    }
}

/// The ids of the applications a listing returns, in its order.
async fn application_ids(store: &DynStore, filter: ApplicationFilter) -> Vec<String> {
    let applications = store.list_applications(&filter).await.unwrap();
    applications.into_iter().map(|a| a.id).collect()
}

/// Owned copies of ids, to compare with a listing.
fn ids<const N: usize>(ids: [&String; N]) -> Vec<String> {
    ids.into_iter().cloned().collect()
}

/// The ids of grants, in order.
fn grant_ids(grants: Vec<GrantRecord>) -> Vec<String> {
    grants.into_iter().map(|g| g.id).collect()
}

/// Chapter C4: agreements, applications through review, grants, their daily row use, and
/// reported results; deleting the dataset takes all of it along.
async fn applications(
    store: &DynStore,
    transport: &Organization,
    firm: &Organization,
    staff: &User,
    admin: &User,
) {
    const T1: i64 = T0 + 1000 * MINUTE;

    // Agreements: a new version only when the text changes; the hash is SHA-256 hex.
    not_found(store.latest_agreement().await);
    let v1 = store.ensure_agreement("abc", T1).await.unwrap();
    assert_eq!(
        v1,
        Agreement {
            version: 1,
            text: "abc".into(),
            sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into(),
            created_at: T1,
        }
    );
    assert_eq!(
        store.ensure_agreement("abc", T1 + MINUTE).await.unwrap(),
        v1
    );
    let text2 = "数据使用协议 第二版\nData-use agreement, version 2";
    let v2 = store.ensure_agreement(text2, T1 + MINUTE).await.unwrap();
    assert_eq!((v2.version, v2.text.as_str()), (2, text2));
    assert_eq!(
        v2.sha256,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text2))
    );
    assert_eq!(
        store
            .ensure_agreement(text2, T1 + 2 * MINUTE)
            .await
            .unwrap(),
        v2
    );
    // Going back to an earlier text is a change too.
    let v3 = store
        .ensure_agreement("abc", T1 + 2 * MINUTE)
        .await
        .unwrap();
    assert_eq!((v3.version, v3.sha256.as_str()), (3, v1.sha256.as_str()));
    // Servers starting at once with a new text store it once.
    let starts: Vec<_> = (0..6)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.ensure_agreement("第四版", T1 + 3 * MINUTE).await })
        })
        .collect();
    for start in starts {
        assert_eq!(start.await.unwrap().unwrap().version, 4);
    }
    let agreement = store.latest_agreement().await.unwrap();
    assert_eq!(agreement.version, 4);
    assert_eq!(store.get_agreement(1).await.unwrap(), v1);
    assert_eq!(store.get_agreement(2).await.unwrap(), v2);
    not_found(store.get_agreement(5).await);

    // The datasets applied for, and the applicants: a firm's user and an individual.
    let dataset = |name: &str, org: &Organization| NewDataset {
        name: name.to_string(),
        org_id: org.id.clone(),
        meta: meta(&format!("{name} 标题"), OpeningType::Conditional),
        grade: Grade::L3,
        now: T1,
    };
    let target = store
        .create_dataset(dataset("apply-target", transport))
        .await
        .unwrap();
    let firm_owned = store
        .create_dataset(dataset("apply-firm", firm))
        .await
        .unwrap();
    let new_user = |username: &str, role: Role, org_id: Option<&str>| NewUser {
        username: username.to_string(),
        display_name: username.to_string(),
        role,
        org_id: org_id.map(str::to_string),
        password_hash: "$argon2id$v=19$x".to_string(),
        now: T1,
    };
    let li = store
        .create_user(new_user("li", Role::Enterprise, Some(&firm.id)))
        .await
        .unwrap();
    let zhao = store
        .create_user(new_user("zhao", Role::Citizen, None))
        .await
        .unwrap();
    let new_application = |applicant: &User,
                           org: Option<&Organization>,
                           dataset: &Dataset,
                           needs_authority: bool,
                           now: i64| NewApplication {
        applicant_id: applicant.id.clone(),
        applicant_org_id: org.map(|o| o.id.clone()),
        dataset_id: dataset.id.clone(),
        requested: terms(&["线路", "司机电话", "票价"], Some(5000)),
        purpose_category: PurposeCategory::Research,
        purpose: "客流研究".to_string(),
        scenario: "离线分析".to_string(),
        needs_authority,
        now,
    };

    // A draft; its approved terms mirror the requested ones until it is submitted.
    let draft = store
        .create_application(new_application(
            &li,
            Some(firm),
            &target,
            false,
            T1 + 10 * MINUTE,
        ))
        .await
        .unwrap();
    assert_eq!(draft.status, ApplicationStatus::Draft);
    assert_eq!(draft.step, None);
    assert_eq!(draft.approved, draft.requested);
    assert_eq!(
        (
            draft.agreement_version,
            draft.submitted_at,
            draft.grant_id.clone()
        ),
        (None, None, None)
    );
    assert_eq!(store.get_application(&draft.id).await.unwrap(), draft);
    not_found(store.get_application("nope").await);
    not_found(
        store
            .create_application(NewApplication {
                dataset_id: "nope".into(),
                ..new_application(&li, Some(firm), &target, false, T1)
            })
            .await,
    );
    not_found(
        store
            .create_application(NewApplication {
                applicant_id: "nope".into(),
                ..new_application(&li, Some(firm), &target, false, T1)
            })
            .await,
    );

    // Editing a draft replaces its terms and texts.
    let requested = terms(&["线路", "司机电话"], Some(1000));
    let edited = store
        .update_draft(
            &draft.id,
            &requested,
            PurposeCategory::Commercial,
            "导航应用",
            "实时到站",
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        edited,
        Application {
            requested: requested.clone(),
            approved: requested.clone(),
            purpose_category: PurposeCategory::Commercial,
            purpose: "导航应用".into(),
            scenario: "实时到站".into(),
            needs_authority: true,
            ..draft.clone()
        }
    );
    not_found(
        store
            .update_draft("nope", &requested, PurposeCategory::Other, "", "", false)
            .await,
    );

    // Review decisions need a submitted application.
    let narrowed = terms(&["线路"], Some(500));
    let forward = |note: &str| ApplicationDecision::ForwardToAuthority {
        reviewer: staff.id.clone(),
        approved: narrowed.clone(),
        note: note.to_string(),
    };
    let firm_grantee = Grantee::Org(firm.id.clone());
    for decision in [
        forward("x"),
        approve(
            staff,
            ReviewStep::Department,
            &narrowed,
            "",
            firm_grantee.clone(),
            T1,
        ),
        reject(staff, ReviewStep::Department, "no"),
    ] {
        conflict_on(
            store.decide_application(&draft.id, decision, T1).await,
            "status",
        );
    }
    not_found(
        store
            .decide_application("nope", submit(&agreement), T1)
            .await,
    );
    // An agreement version that does not exist cannot be accepted.
    not_found(
        store
            .decide_application(
                &draft.id,
                ApplicationDecision::Submit {
                    agreement_version: 99,
                    agreement_sha256: "x".into(),
                },
                T1,
            )
            .await,
    );
    assert_eq!(store.get_application(&draft.id).await.unwrap(), edited);

    // Submission: waits for the department; the agreement is recorded.
    let submitted = store
        .decide_application(&draft.id, submit(&agreement), T1 + 11 * MINUTE)
        .await
        .unwrap();
    assert_eq!(
        submitted,
        Application {
            status: ApplicationStatus::Submitted,
            step: Some(ReviewStep::Department),
            agreement_version: Some(4),
            agreement_sha256: Some(agreement.sha256.clone()),
            submitted_at: Some(T1 + 11 * MINUTE),
            ..edited.clone()
        }
    );
    conflict_on(
        store
            .decide_application(&draft.id, submit(&agreement), T1)
            .await,
        "status",
    );
    conflict_on(
        store
            .update_draft(&draft.id, &requested, PurposeCategory::Other, "", "", false)
            .await,
        "status",
    );
    // It needs the authority: the department cannot give the final approval, and the authority
    // cannot act before the department.
    for decision in [
        approve(
            staff,
            ReviewStep::Department,
            &narrowed,
            "",
            firm_grantee.clone(),
            T1,
        ),
        approve(
            admin,
            ReviewStep::Authority,
            &narrowed,
            "",
            firm_grantee.clone(),
            T1,
        ),
        reject(admin, ReviewStep::Authority, "no"),
    ] {
        conflict_on(
            store.decide_application(&draft.id, decision, T1).await,
            "status",
        );
    }
    assert_eq!(store.get_application(&draft.id).await.unwrap(), submitted);

    // The department narrows and forwards.
    let forwarded = store
        .decide_application(&draft.id, forward("部门同意"), T1 + 12 * MINUTE)
        .await
        .unwrap();
    assert_eq!(
        forwarded,
        Application {
            step: Some(ReviewStep::Authority),
            approved: narrowed.clone(),
            department_reviewer: Some(staff.id.clone()),
            department_reviewed_at: Some(T1 + 12 * MINUTE),
            review_note: Some("部门同意".into()),
            ..submitted.clone()
        }
    );
    conflict_on(
        store
            .decide_application(&draft.id, forward("again"), T1)
            .await,
        "status",
    );
    conflict_on(
        store
            .decide_application(
                &draft.id,
                approve(
                    staff,
                    ReviewStep::Department,
                    &narrowed,
                    "",
                    firm_grantee.clone(),
                    T1,
                ),
                T1,
            )
            .await,
        "status",
    );

    // The authority approves: the grant is issued and linked in the same step.
    let approved = store
        .decide_application(
            &draft.id,
            approve(
                admin,
                ReviewStep::Authority,
                &narrowed,
                "同意",
                firm_grantee.clone(),
                T1 + 13 * MINUTE,
            ),
            T1 + 13 * MINUTE,
        )
        .await
        .unwrap();
    let org_grant_id = approved.grant_id.clone().expect("a grant id");
    assert_eq!(
        approved,
        Application {
            status: ApplicationStatus::Approved,
            step: None,
            authority_reviewer: Some(admin.id.clone()),
            authority_reviewed_at: Some(T1 + 13 * MINUTE),
            review_note: Some("部门同意\n同意".into()),
            grant_id: Some(org_grant_id.clone()),
            decided_at: Some(T1 + 13 * MINUTE),
            ..forwarded.clone()
        }
    );
    // The access log reads the purpose the application was edited to, in one query.
    assert_eq!(
        store.grant_purpose(&org_grant_id).await.unwrap(),
        PurposeCategory::Commercial
    );
    let org_grant = store.get_grant(&org_grant_id).await.unwrap();
    assert_eq!(
        org_grant,
        GrantRecord {
            id: org_grant_id.clone(),
            application_id: draft.id.clone(),
            dataset_id: target.id.clone(),
            grantee: firm_grantee.clone(),
            terms: narrowed.clone(),
            l4_masked_approved: false,
            privacy_budget: Some(1.5),
            valid_from: T1 + 13 * MINUTE,
            valid_until: T1 + 13 * MINUTE + 90 * 24 * 60 * MINUTE,
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
            created_at: T1 + 13 * MINUTE,
        }
    );
    // A second approval, or any later decision, finds it decided.
    for decision in [
        approve(
            admin,
            ReviewStep::Authority,
            &narrowed,
            "",
            firm_grantee.clone(),
            T1,
        ),
        reject(admin, ReviewStep::Authority, "no"),
        ApplicationDecision::Withdraw,
    ] {
        conflict_on(
            store.decide_application(&draft.id, decision, T1).await,
            "status",
        );
    }
    assert_eq!(store.get_application(&draft.id).await.unwrap(), approved);
    assert_eq!(
        grant_ids(store.list_grants_for_dataset(&target.id).await.unwrap()),
        ids([&org_grant_id])
    );

    // An individual's application that only the department reviews: one approval issues the
    // grant; an empty remark leaves no note.
    let personal = store
        .create_application(new_application(
            &zhao,
            None,
            &target,
            false,
            T1 + 20 * MINUTE,
        ))
        .await
        .unwrap();
    store
        .decide_application(&personal.id, submit(&agreement), T1 + 20 * MINUTE)
        .await
        .unwrap();
    let user_grantee = Grantee::User(zhao.id.clone());
    let personal_terms = terms(&["线路", "票价"], Some(1000));
    let personal = store
        .decide_application(
            &personal.id,
            approve(
                staff,
                ReviewStep::Department,
                &personal_terms,
                "",
                user_grantee.clone(),
                T1 + 21 * MINUTE,
            ),
            T1 + 21 * MINUTE,
        )
        .await
        .unwrap();
    assert_eq!(personal.status, ApplicationStatus::Approved);
    assert_eq!(
        personal.department_reviewer.as_deref(),
        Some(staff.id.as_str())
    );
    assert_eq!(personal.department_reviewed_at, Some(T1 + 21 * MINUTE));
    assert_eq!(
        (
            personal.authority_reviewer.clone(),
            personal.review_note.clone()
        ),
        (None, None)
    );
    let user_grant_id = personal.grant_id.clone().unwrap();
    let user_grant = store.get_grant(&user_grant_id).await.unwrap();
    assert_eq!(
        (user_grant.grantee.clone(), user_grant.terms.clone()),
        (user_grantee, personal_terms)
    );

    // Two reviewers approving at once: one wins, the other finds it decided; one grant.
    let raced = store
        .create_application(new_application(
            &zhao,
            None,
            &firm_owned,
            false,
            T1 + 22 * MINUTE,
        ))
        .await
        .unwrap();
    store
        .decide_application(&raced.id, submit(&agreement), T1 + 22 * MINUTE)
        .await
        .unwrap();
    let reviewers: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            let decision = approve(
                staff,
                ReviewStep::Department,
                &narrowed,
                "",
                Grantee::User(zhao.id.clone()),
                T1 + 23 * MINUTE,
            );
            let id = raced.id.clone();
            tokio::spawn(async move {
                store
                    .decide_application(&id, decision, T1 + 23 * MINUTE)
                    .await
            })
        })
        .collect();
    let mut wins = 0;
    for reviewer in reviewers {
        match reviewer.await.unwrap() {
            Ok(a) => {
                wins += 1;
                assert_eq!(a.status, ApplicationStatus::Approved);
            }
            Err(StoreError::Conflict(f)) => assert_eq!(f, "status"),
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(wins, 1);
    let raced = store.get_application(&raced.id).await.unwrap();
    assert_eq!(
        grant_ids(store.list_grants_for_dataset(&firm_owned.id).await.unwrap()),
        [raced.grant_id.clone().unwrap()]
    );

    // Rejection needs the step the application waits for, and records the reason.
    let rejected = store
        .create_application(new_application(
            &li,
            Some(firm),
            &target,
            true,
            T1 + 30 * MINUTE,
        ))
        .await
        .unwrap();
    store
        .decide_application(&rejected.id, submit(&agreement), T1 + 30 * MINUTE)
        .await
        .unwrap();
    conflict_on(
        store
            .decide_application(&rejected.id, reject(admin, ReviewStep::Authority, "no"), T1)
            .await,
        "status",
    );
    let rejected = store
        .decide_application(
            &rejected.id,
            reject(staff, ReviewStep::Department, "用途不明确"),
            T1 + 31 * MINUTE,
        )
        .await
        .unwrap();
    assert_eq!(rejected.status, ApplicationStatus::Rejected);
    assert_eq!(rejected.step, None);
    assert_eq!(rejected.rejection_reason.as_deref(), Some("用途不明确"));
    assert_eq!(
        rejected.department_reviewer.as_deref(),
        Some(staff.id.as_str())
    );
    assert_eq!(rejected.decided_at, Some(T1 + 31 * MINUTE));
    assert_eq!(rejected.grant_id, None);
    conflict_on(
        store
            .decide_application(&rejected.id, ApplicationDecision::Withdraw, T1)
            .await,
        "status",
    );
    // The authority rejects after the department forwarded; the department's review stays.
    let second_step = store
        .create_application(new_application(
            &li,
            Some(firm),
            &target,
            true,
            T1 + 32 * MINUTE,
        ))
        .await
        .unwrap();
    store
        .decide_application(&second_step.id, submit(&agreement), T1 + 32 * MINUTE)
        .await
        .unwrap();
    store
        .decide_application(&second_step.id, forward(""), T1 + 33 * MINUTE)
        .await
        .unwrap();
    conflict_on(
        store
            .decide_application(
                &second_step.id,
                reject(staff, ReviewStep::Department, "no"),
                T1,
            )
            .await,
        "status",
    );
    let second_step = store
        .decide_application(
            &second_step.id,
            reject(admin, ReviewStep::Authority, "涉及个人信息"),
            T1 + 34 * MINUTE,
        )
        .await
        .unwrap();
    assert_eq!(second_step.status, ApplicationStatus::Rejected);
    assert_eq!(
        second_step.department_reviewer.as_deref(),
        Some(staff.id.as_str())
    );
    assert_eq!(second_step.department_reviewed_at, Some(T1 + 33 * MINUTE));
    assert_eq!(
        second_step.authority_reviewer.as_deref(),
        Some(admin.id.as_str())
    );
    assert_eq!(second_step.authority_reviewed_at, Some(T1 + 34 * MINUTE));
    assert_eq!(
        second_step.rejection_reason.as_deref(),
        Some("涉及个人信息")
    );
    assert_eq!(second_step.review_note, None);

    // Withdrawal: from a draft or a submitted application, once.
    let withdrawn_draft = store
        .create_application(new_application(
            &zhao,
            None,
            &target,
            false,
            T1 + 40 * MINUTE,
        ))
        .await
        .unwrap();
    let withdrawn_draft = store
        .decide_application(
            &withdrawn_draft.id,
            ApplicationDecision::Withdraw,
            T1 + 41 * MINUTE,
        )
        .await
        .unwrap();
    assert_eq!(withdrawn_draft.status, ApplicationStatus::Withdrawn);
    assert_eq!(withdrawn_draft.decided_at, Some(T1 + 41 * MINUTE));
    let withdrawn = store
        .create_application(new_application(
            &li,
            Some(firm),
            &target,
            true,
            T1 + 42 * MINUTE,
        ))
        .await
        .unwrap();
    store
        .decide_application(&withdrawn.id, submit(&agreement), T1 + 42 * MINUTE)
        .await
        .unwrap();
    store
        .decide_application(&withdrawn.id, forward(""), T1 + 43 * MINUTE)
        .await
        .unwrap();
    let withdrawn = store
        .decide_application(
            &withdrawn.id,
            ApplicationDecision::Withdraw,
            T1 + 44 * MINUTE,
        )
        .await
        .unwrap();
    assert_eq!(
        (withdrawn.status, withdrawn.step),
        (ApplicationStatus::Withdrawn, None)
    );
    for decision in [
        ApplicationDecision::Withdraw,
        submit(&agreement),
        reject(admin, ReviewStep::Authority, "x"),
    ] {
        conflict_on(
            store.decide_application(&withdrawn.id, decision, T1).await,
            "status",
        );
    }

    // Listing: newest first; every given filter must match.
    let filter = ApplicationFilter::default;
    assert_eq!(
        application_ids(store, filter()).await,
        ids([
            &withdrawn.id,
            &withdrawn_draft.id,
            &second_step.id,
            &rejected.id,
            &raced.id,
            &personal.id,
            &draft.id
        ])
    );
    assert_eq!(
        application_ids(
            store,
            ApplicationFilter {
                applicant_id: Some(zhao.id.clone()),
                ..filter()
            }
        )
        .await,
        ids([&withdrawn_draft.id, &raced.id, &personal.id])
    );
    assert_eq!(
        application_ids(
            store,
            ApplicationFilter {
                owner_org_id: Some(firm.id.clone()),
                ..filter()
            }
        )
        .await,
        ids([&raced.id])
    );
    assert_eq!(
        application_ids(
            store,
            ApplicationFilter {
                dataset_id: Some(firm_owned.id.clone()),
                ..filter()
            }
        )
        .await,
        ids([&raced.id])
    );
    assert_eq!(
        application_ids(
            store,
            ApplicationFilter {
                owner_org_id: Some(transport.id.clone()),
                status: Some(ApplicationStatus::Rejected),
                ..filter()
            }
        )
        .await,
        ids([&second_step.id, &rejected.id])
    );
    assert_eq!(
        application_ids(
            store,
            ApplicationFilter {
                applicant_id: Some(li.id.clone()),
                status: Some(ApplicationStatus::Approved),
                ..filter()
            }
        )
        .await,
        ids([&draft.id])
    );
    // One waits at each step.
    let waiting = store
        .create_application(new_application(
            &li,
            Some(firm),
            &target,
            true,
            T1 + 50 * MINUTE,
        ))
        .await
        .unwrap();
    store
        .decide_application(&waiting.id, submit(&agreement), T1 + 50 * MINUTE)
        .await
        .unwrap();
    let at_authority = store
        .create_application(new_application(
            &li,
            Some(firm),
            &target,
            true,
            T1 + 51 * MINUTE,
        ))
        .await
        .unwrap();
    store
        .decide_application(&at_authority.id, submit(&agreement), T1 + 51 * MINUTE)
        .await
        .unwrap();
    store
        .decide_application(&at_authority.id, forward(""), T1 + 52 * MINUTE)
        .await
        .unwrap();
    assert_eq!(
        application_ids(
            store,
            ApplicationFilter {
                step: Some(ReviewStep::Department),
                ..filter()
            }
        )
        .await,
        ids([&waiting.id])
    );
    assert_eq!(
        application_ids(
            store,
            ApplicationFilter {
                status: Some(ApplicationStatus::Submitted),
                step: Some(ReviewStep::Authority),
                ..filter()
            }
        )
        .await,
        ids([&at_authority.id])
    );
    assert!(application_ids(
        store,
        ApplicationFilter {
            applicant_id: Some(staff.id.clone()),
            ..filter()
        }
    )
    .await
    .is_empty());

    // Grants by holder: the user's own, the organization's, or both; newest first.
    let holder = |user: Option<&str>, org: Option<&str>| {
        let store = store.clone();
        let (user, org) = (user.map(str::to_string), org.map(str::to_string));
        async move {
            grant_ids(
                store
                    .list_grants_for_holder(user.as_deref(), org.as_deref())
                    .await
                    .unwrap(),
            )
        }
    };
    let raced_grant_id = raced.grant_id.clone().unwrap();
    assert_eq!(
        holder(Some(&zhao.id), None).await,
        ids([&raced_grant_id, &user_grant_id])
    );
    assert_eq!(holder(None, Some(&firm.id)).await, ids([&org_grant_id]));
    assert_eq!(
        holder(Some(&li.id), Some(&firm.id)).await,
        ids([&org_grant_id])
    );
    assert_eq!(
        holder(Some(&zhao.id), Some(&firm.id)).await,
        ids([&raced_grant_id, &user_grant_id, &org_grant_id])
    );
    // The ids of a user and an organization never stand in for each other.
    assert!(holder(Some(&firm.id), Some(&zhao.id)).await.is_empty());
    assert!(holder(None, None).await.is_empty());
    assert_eq!(
        grant_ids(store.list_grants_for_dataset(&target.id).await.unwrap()),
        ids([&user_grant_id, &org_grant_id])
    );
    assert!(store
        .list_grants_for_dataset("nope")
        .await
        .unwrap()
        .is_empty());
    not_found(store.get_grant("nope").await);
    not_found(store.grant_purpose("nope").await);

    // Revocation, once.
    let revoked = store
        .revoke_grant(&user_grant_id, &admin.id, "违反协议", T1 + 60 * MINUTE)
        .await
        .unwrap();
    assert_eq!(
        revoked,
        GrantRecord {
            revoked_at: Some(T1 + 60 * MINUTE),
            revoked_by: Some(admin.id.clone()),
            revoke_reason: Some("违反协议".into()),
            ..user_grant.clone()
        }
    );
    conflict_on(
        store
            .revoke_grant(&user_grant_id, &admin.id, "again", T1 + 61 * MINUTE)
            .await,
        "status",
    );
    assert_eq!(store.get_grant(&user_grant_id).await.unwrap(), revoked);
    not_found(store.revoke_grant("nope", &admin.id, "", T1).await);

    // Daily row quota: use adds up to the quota and no further; a refused batch changes nothing.
    const DAY: i64 = 19_700;
    assert_eq!(store.grant_rows_used(&org_grant_id, DAY).await.unwrap(), 0);
    assert_eq!(
        store
            .add_grant_rows(&org_grant_id, DAY, 400, Some(1000))
            .await
            .unwrap(),
        400
    );
    assert_eq!(
        store
            .add_grant_rows(&org_grant_id, DAY, 600, Some(1000))
            .await
            .unwrap(),
        1000
    );
    conflict_on(
        store
            .add_grant_rows(&org_grant_id, DAY, 1, Some(1000))
            .await,
        "quota",
    );
    assert_eq!(
        store.grant_rows_used(&org_grant_id, DAY).await.unwrap(),
        1000
    );
    // Days are counted apart; a first batch larger than the quota is refused and leaves no row.
    conflict_on(
        store
            .add_grant_rows(&org_grant_id, DAY + 1, 1001, Some(1000))
            .await,
        "quota",
    );
    assert_eq!(
        store.grant_rows_used(&org_grant_id, DAY + 1).await.unwrap(),
        0
    );
    assert_eq!(
        store
            .add_grant_rows(&org_grant_id, DAY + 1, 1000, Some(1000))
            .await
            .unwrap(),
        1000
    );
    // Without a quota, anything goes.
    assert_eq!(
        store
            .add_grant_rows(&org_grant_id, DAY, 5000, None)
            .await
            .unwrap(),
        6000
    );
    assert_eq!(
        store
            .add_grant_rows(&user_grant_id, DAY, 7, None)
            .await
            .unwrap(),
        7
    );
    assert_eq!(
        store.grant_rows_used(&org_grant_id, DAY).await.unwrap(),
        6000
    );
    not_found(store.add_grant_rows("nope", DAY, 1, Some(10)).await);
    assert_eq!(store.grant_rows_used("nope", DAY).await.unwrap(), 0);
    // Deliveries racing for the last rows: 160 batches of 10 against a quota of 1,000, so
    // exactly 100 succeed and the total lands on the quota, never past it.
    let deliveries: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let grant = org_grant_id.clone();
            tokio::spawn(async move {
                let mut accepted = Vec::new();
                for _ in 0..20 {
                    match store.add_grant_rows(&grant, DAY + 2, 10, Some(1000)).await {
                        Ok(total) => accepted.push(total),
                        Err(StoreError::Conflict(f)) => assert_eq!(f, "quota"),
                        Err(e) => panic!("unexpected {e}"),
                    }
                }
                accepted
            })
        })
        .collect();
    let mut totals = BTreeSet::new();
    for delivery in deliveries {
        for total in delivery.await.unwrap() {
            assert!(
                totals.insert(total),
                "two batches saw the same total {total}"
            );
        }
    }
    assert_eq!(totals, (1..=100).map(|i| i * 10).collect());
    assert_eq!(
        store.grant_rows_used(&org_grant_id, DAY + 2).await.unwrap(),
        1000
    );

    // Results: newest first, by dataset or all.
    let report =
        |grant: &str, dataset: &Dataset, kind: ResultKind, url: Option<&str>, now: i64| NewReuse {
            grant_id: grant.to_string(),
            dataset_id: dataset.id.clone(),
            kind,
            title: format!("{} 成果", kind.code()),
            description: "基于公交数据".to_string(),
            url: url.map(str::to_string),
            created_by: li.id.clone(),
            now,
        };
    let app = store
        .create_reuse(report(
            &org_grant_id,
            &target,
            ResultKind::App,
            Some("https://example.com/app"),
            T1 + 70 * MINUTE,
        ))
        .await
        .unwrap();
    assert_eq!(
        (app.kind, app.url.as_deref(), app.created_at),
        (
            ResultKind::App,
            Some("https://example.com/app"),
            T1 + 70 * MINUTE
        )
    );
    let paper = store
        .create_reuse(report(
            &user_grant_id,
            &target,
            ResultKind::Report,
            None,
            T1 + 71 * MINUTE,
        ))
        .await
        .unwrap();
    let service = store
        .create_reuse(report(
            &raced_grant_id,
            &firm_owned,
            ResultKind::Service,
            None,
            T1 + 72 * MINUTE,
        ))
        .await
        .unwrap();
    not_found(
        store
            .create_reuse(report("nope", &target, ResultKind::App, None, T1))
            .await,
    );
    not_found(
        store
            .create_reuse(NewReuse {
                dataset_id: "nope".into(),
                ..report(&org_grant_id, &target, ResultKind::App, None, T1)
            })
            .await,
    );
    assert_eq!(
        store.list_reuses(Some(&target.id)).await.unwrap(),
        [paper.clone(), app.clone()]
    );
    assert_eq!(
        store.list_reuses(Some(&firm_owned.id)).await.unwrap(),
        std::slice::from_ref(&service)
    );
    assert_eq!(
        store.list_reuses(None).await.unwrap(),
        [service.clone(), paper, app]
    );
    assert!(store.list_reuses(Some("nope")).await.unwrap().is_empty());

    // The owner accepts a result once; a second acceptance conflicts and changes nothing.
    let accepted = store
        .accept_reuse(&service.id, &li.id, T1 + 80 * MINUTE)
        .await
        .unwrap();
    assert_eq!(
        (accepted.accepted_at, accepted.accepted_by.as_deref()),
        (Some(T1 + 80 * MINUTE), Some(li.id.as_str()))
    );
    conflict_on(
        store
            .accept_reuse(&service.id, &zhao.id, T1 + 81 * MINUTE)
            .await,
        "status",
    );
    assert_eq!(store.get_reuse(&service.id).await.unwrap(), accepted);
    not_found(store.accept_reuse("nope", &li.id, T1).await);
    not_found(store.get_reuse("nope").await);
    let service = accepted;

    // Deleting a dataset takes its applications, grants, row use and results along, and
    // leaves the other dataset's and the agreements alone.
    assert!(store.delete_dataset(&target.id).await.unwrap().is_empty());
    for id in [
        &draft.id,
        &personal.id,
        &rejected.id,
        &withdrawn.id,
        &waiting.id,
    ] {
        not_found(store.get_application(id).await);
    }
    not_found(store.get_grant(&org_grant_id).await);
    not_found(store.get_grant(&user_grant_id).await);
    assert_eq!(store.grant_rows_used(&org_grant_id, DAY).await.unwrap(), 0);
    assert!(store
        .list_grants_for_dataset(&target.id)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .list_reuses(Some(&target.id))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.list_reuses(None).await.unwrap(), [service]);
    assert_eq!(
        holder(Some(&zhao.id), Some(&firm.id)).await,
        ids([&raced_grant_id])
    );
    assert_eq!(application_ids(store, filter()).await, ids([&raced.id]));
    assert_eq!(store.get_application(&raced.id).await.unwrap(), raced);
    assert_eq!(store.latest_agreement().await.unwrap().version, 4);
    store.delete_dataset(&firm_owned.id).await.unwrap();
    assert!(store.list_reuses(None).await.unwrap().is_empty());
    assert!(application_ids(store, filter()).await.is_empty());
}

fn log_entry(i: i64, dataset: Option<&str>) -> NewLogEntry {
    NewLogEntry {
        data: format!("{{\"n\":{i}}}"),
        kind: "data.query".into(),
        dataset: dataset.map(str::to_string),
        rows: 0,
        created_at: T0 + i,
        salt: format!("{i:064x}"),
        detail: format!("{{\"user\":\"u{i}\"}}"),
    }
}

/// The log is append-only with dense indexes: a stale or skipping writer changes nothing.
async fn access_log(store: &DynStore) {
    let totals = store.catalog_totals().await.unwrap();
    assert!(totals.datasets >= 1 && totals.versions >= 1, "{totals:?}");
    assert!(totals.rows > 0 && totals.bytes > 0, "{totals:?}");
    assert_eq!(store.log_size().await.unwrap(), 0);
    let batch: Vec<_> = (0..3).map(|i| log_entry(i, Some("bus"))).collect();
    store
        .log_append(0, &batch, 0, &[[1; 32], [2; 32]])
        .await
        .unwrap();
    assert_eq!(store.log_size().await.unwrap(), 3);
    // A second writer that still thinks the log is empty, or one that skips an index, loses
    // and leaves nothing behind.
    let stale = [log_entry(0, None)];
    assert!(matches!(
        store.log_append(0, &stale, 2, &[[9; 32]]).await,
        Err(StoreError::Conflict(f)) if f == "idx"
    ));
    assert!(matches!(
        store.log_append(4, &stale, 2, &[[9; 32]]).await,
        Err(StoreError::Conflict(f)) if f == "idx"
    ));
    assert_eq!(store.log_size().await.unwrap(), 3);
    // A hash that is already stored fails the whole batch, leaves included.
    assert!(store
        .log_append(3, &[log_entry(3, None)], 1, &[[9; 32]])
        .await
        .is_err());
    assert_eq!(store.log_size().await.unwrap(), 3);
    store
        .log_append(3, &[log_entry(3, Some("other"))], 2, &[[3; 32]])
        .await
        .unwrap();

    assert_eq!(
        store.log_hashes(&[2, 0, 1]).await.unwrap(),
        [[3; 32], [1; 32], [2; 32]]
    );
    assert!(matches!(
        store.log_hashes(&[0, 7]).await,
        Err(StoreError::Corrupt(_))
    ));
    let entries = store.log_entries(1, 3).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.index).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(entries[0].data, "{\"n\":1}");
    assert_eq!(entries[0].dataset.as_deref(), Some("bus"));
    let recent = store.log_recent(None, 2).await.unwrap();
    assert_eq!(recent.iter().map(|e| e.index).collect::<Vec<_>>(), [3, 2]);
    let bus = store.log_recent(Some("bus"), 10).await.unwrap();
    assert_eq!(bus.len(), 3);
    let detail = store.log_detail(2).await.unwrap();
    assert_eq!(detail.detail, "{\"user\":\"u2\"}");
    assert_eq!(detail.salt, format!("{:064x}", 2));
    not_found(store.log_detail(4).await);
    assert_eq!(
        store.log_counts().await.unwrap(),
        [
            LogCount {
                dataset: "bus".into(),
                kind: "data.query".into(),
                count: 3
            },
            LogCount {
                dataset: "other".into(),
                kind: "data.query".into(),
                count: 1
            }
        ]
    );
}

/// The contribution index's reads: versions and usage in a period, the latest version of each
/// resource at a moment with its quality, demands due; and the incentive reports, once per
/// period and kind.
async fn contribution(store: &DynStore, transport: &Organization, staff: &User) {
    const T9: i64 = T0 + 900 * MINUTE;
    let d = store
        .create_dataset(NewDataset {
            name: "metro-flows".into(),
            org_id: transport.id.clone(),
            meta: meta("地铁客流", OpeningType::Unconditional),
            grade: Grade::L1,
            now: T9,
        })
        .await
        .unwrap();
    let r = store
        .create_resource(NewResource {
            dataset_id: d.id.clone(),
            name: "flows".into(),
            description: String::new(),
            now: T9,
        })
        .await
        .unwrap();
    let v1 = store
        .publish_version(NewVersion {
            row_count: 10,
            ..new_version(&r.id, "versions/metro-1.parquet", vec![], T9 + 1)
        })
        .await
        .unwrap();
    store
        .publish_version(NewVersion {
            row_count: 20,
            ..new_version(&r.id, "versions/metro-2.parquet", vec![], T9 + 5)
        })
        .await
        .unwrap();
    store
        .put_version_quality(&VersionQuality {
            version_id: v1.id.clone(),
            dataset_id: d.id.clone(),
            resource_id: r.id.clone(),
            rows: 10,
            measured_at: T9 + 1,
            score: 82.5,
            letter: "B".into(),
            measures: model::quality::VersionMeasures {
                rows: 10,
                columns: Vec::new(),
                rows_checked: 10,
                duplicate_rows: 0,
                key: Vec::new(),
                duplicate_keys: 0,
                empty_keys: 0,
                columns_added: Vec::new(),
                columns_removed: Vec::new(),
                columns_retyped: Vec::new(),
                has_previous: false,
            },
            assessment: model::quality::assess([1.0; 4], 1.0, 0.5, Vec::new()),
        })
        .await
        .unwrap();
    let published = |list: Vec<(String, i64)>| -> i64 {
        list.into_iter()
            .filter(|(id, _)| id == &d.id)
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(
        published(store.versions_between(T9, T9 + 10).await.unwrap()),
        2
    );
    assert_eq!(
        published(store.versions_between(T9 + 2, T9 + 10).await.unwrap()),
        1
    );
    assert_eq!(
        published(store.versions_between(T9 + 6, T9 + 10).await.unwrap()),
        0
    );
    let at = |facts: Vec<LatestVersionFact>| -> Vec<(i64, Option<f64>)> {
        facts
            .into_iter()
            .filter(|f| f.dataset_id == d.id)
            .map(|f| (f.rows, f.score))
            .collect()
    };
    assert_eq!(
        at(store.latest_versions_at(T9 + 2).await.unwrap()),
        [(10, Some(82.5))]
    );
    assert_eq!(
        at(store.latest_versions_at(T9 + 6).await.unwrap()),
        [(20, None)]
    );
    assert!(at(store.latest_versions_at(T9).await.unwrap()).is_empty());
    assert!(store
        .dataset_facts()
        .await
        .unwrap()
        .iter()
        .any(|f| f.id == d.id && f.name == "metro-flows" && f.org_id == transport.id));

    // Usage: leaves by dataset and kind, with the rows a data leaf delivered.
    let size = store.log_size().await.unwrap();
    let leaf = |i: i64, kind: &str, rows: Option<i64>| NewLogEntry {
        data: match rows {
            Some(n) => format!("{{\"n\":{i},\"rows\":{n}}}"),
            None => format!("{{\"n\":{i}}}"),
        },
        kind: kind.into(),
        dataset: Some("metro-flows".into()),
        rows: rows.unwrap_or(0),
        created_at: T9 + i,
        salt: format!("{i:064x}"),
        detail: "{}".into(),
    };
    store
        .log_append(
            size,
            &[
                leaf(1, "data.download", Some(25)),
                leaf(2, "data.download", Some(5)),
                leaf(3, "application.submitted", None),
            ],
            1_000,
            &[],
        )
        .await
        .unwrap();
    let month = model::calendar::cst_month(T9);
    let mut usage: Vec<UsageCount> = store
        .usage_in_months(month, month)
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.dataset == "metro-flows")
        .collect();
    usage.sort_by(|a, b| a.kind.cmp(&b.kind));
    assert_eq!(
        usage,
        [
            UsageCount {
                dataset: "metro-flows".into(),
                kind: "application.submitted".into(),
                count: 1,
                rows: 0
            },
            UsageCount {
                dataset: "metro-flows".into(),
                kind: "data.download".into(),
                count: 2,
                rows: 30
            }
        ]
    );
    assert!(store
        .usage_in_months(month + 1, month + 1)
        .await
        .unwrap()
        .iter()
        .all(|u| u.dataset != "metro-flows"));
    // Counts that are not leaves (catalog harvests) add up in the same table.
    let harvest = |n: i64| {
        (
            month,
            "metro-flows".to_string(),
            "harvest.ckan".to_string(),
            n,
        )
    };
    store.add_usage(&[harvest(2)]).await.unwrap();
    store.add_usage(&[harvest(3)]).await.unwrap();
    store.add_usage(&[]).await.unwrap();
    let harvested: Vec<(i64, i64)> = store
        .usage_in_months(month, month)
        .await
        .unwrap()
        .iter()
        .filter(|u| u.dataset == "metro-flows" && u.kind == "harvest.ckan")
        .map(|u| (u.count, u.rows))
        .collect();
    assert_eq!(harvested, [(5, 0)]);
    assert!(store.results_between(T9, T9 + 10).await.unwrap().is_empty());
    for d in store
        .demands_due_between(0, i64::MAX, i64::MAX)
        .await
        .unwrap()
    {
        assert!(d.on_time <= d.due && d.due > 0, "{d:?}");
    }

    // Incentive reports: once per period and kind; the leaf's index is kept.
    let report = IncentiveReport {
        id: "r1".into(),
        period: "2026-11".into(),
        kind: "enterprise".into(),
        sha256: "cd".repeat(32),
        body: "rank,name\n1,x\n".into(),
        entries: 1,
        published_by: staff.id.clone(),
        published_at: T9,
        log_index: None,
    };
    store.put_incentive_report(&report).await.unwrap();
    conflict_on(
        store
            .put_incentive_report(&IncentiveReport {
                id: "r2".into(),
                ..report.clone()
            })
            .await,
        "period",
    );
    store.set_incentive_report_log_index("r1", 7).await.unwrap();
    not_found(store.set_incentive_report_log_index("nope", 7).await);
    let kept = store.get_incentive_report("r1").await.unwrap();
    assert_eq!(
        kept,
        IncentiveReport {
            log_index: Some(7),
            ..report
        }
    );
    assert_eq!(store.incentive_reports().await.unwrap(), [kept]);
    not_found(store.get_incentive_report("nope").await);
}

/// Data demands: filing, listing with filters and orders, supports counted once per user,
/// comments, answers applied only from the state the caller saw, merging, the history, and
/// links that a deleted dataset leaves behind.
async fn demands(store: &DynStore, transport: &Organization, staff: &User, admin: &User) {
    let citizen = store
        .create_user(NewUser {
            username: "demander".into(),
            display_name: "市民".into(),
            role: Role::Citizen,
            org_id: None,
            password_hash: "$argon2id$v=19$x".into(),
            now: T0,
        })
        .await
        .unwrap();
    let new = |title: &str, target: Target, due_at: i64, now: i64| NewDemand {
        title: title.into(),
        description: "说明".into(),
        fields: vec!["站点".into(), "客流".into()],
        purpose_category: PurposeCategory::Research,
        target,
        extends_dataset_id: None,
        created_by: citizen.id.clone(),
        created_by_org_id: None,
        enterprise: false,
        due_at,
        now,
    };
    let day = 86_400_000;
    let a = store
        .create_demand(new(
            "客流",
            Target::Department(transport.id.clone()),
            T0 + 15 * day,
            T0,
        ))
        .await
        .unwrap();
    assert_eq!(a.status, DemandStatus::Open);
    assert_eq!(store.get_demand(&a.id).await.unwrap(), a);
    let b = store
        .create_demand(new(
            "客流重复",
            Target::Department(transport.id.clone()),
            T0 + 16 * day,
            T0 + 1,
        ))
        .await
        .unwrap();
    let theme = store
        .create_demand(new(
            "低空",
            Target::Theme("低空经济".into()),
            T0 + 2 * day,
            T0 + 2,
        ))
        .await
        .unwrap();
    not_found(store.get_demand("nope").await);
    // A target that does not exist is refused by the foreign key.
    not_found(
        store
            .create_demand(new("x", Target::Department("no-org".into()), T0, T0))
            .await,
    );

    // Supports: once per user, withdrawable, counted on the demand.
    assert!(store.support_demand(&a.id, &staff.id, T0).await.unwrap());
    assert!(!store.support_demand(&a.id, &staff.id, T0).await.unwrap());
    assert!(store.support_demand(&a.id, &admin.id, T0).await.unwrap());
    assert!(store.supports_demand(&a.id, &admin.id).await.unwrap());
    assert!(store.unsupport_demand(&a.id, &admin.id, T0).await.unwrap());
    assert!(!store.unsupport_demand(&a.id, &admin.id, T0).await.unwrap());
    assert!(!store.supports_demand(&a.id, &admin.id).await.unwrap());
    assert_eq!(store.get_demand(&a.id).await.unwrap().support_count, 1);
    assert!(store.support_demand(&b.id, &staff.id, T0).await.unwrap());
    assert!(store.support_demand(&b.id, &admin.id, T0).await.unwrap());

    // Comments, oldest first, counted.
    let c1 = store
        .add_demand_comment(&a.id, &staff.id, "同意", T0 + 1)
        .await
        .unwrap();
    store
        .add_demand_comment(&a.id, &admin.id, "跟进", T0 + 2)
        .await
        .unwrap();
    let comments = store.list_demand_comments(&a.id).await.unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0], c1);
    assert_eq!(store.get_demand(&a.id).await.unwrap().comment_count, 2);

    // Lists: filters, orders, counts; merged demands only when asked for by state.
    let list = |filter: DemandFilter| async move {
        let (page, total) = store
            .list_demands(&DemandFilter {
                limit: 100,
                ..filter
            })
            .await
            .unwrap();
        (page.into_iter().map(|d| d.title).collect::<Vec<_>>(), total)
    };
    assert_eq!(
        list(DemandFilter::default()).await,
        (vec!["客流重复".into(), "客流".into(), "低空".into()], 3)
    );
    assert_eq!(
        list(DemandFilter {
            sort: DemandSort::Newest,
            ..Default::default()
        })
        .await
        .0,
        ["低空", "客流重复", "客流"]
    );
    assert_eq!(
        list(DemandFilter {
            sort: DemandSort::Deadline,
            ..Default::default()
        })
        .await
        .0,
        ["低空", "客流", "客流重复"]
    );
    assert_eq!(
        list(DemandFilter {
            target_org_id: Some(transport.id.clone()),
            ..Default::default()
        })
        .await
        .1,
        2
    );
    assert_eq!(
        list(DemandFilter {
            target_theme: Some("低空经济".into()),
            ..Default::default()
        })
        .await
        .0,
        ["低空"]
    );
    // Overdue: open and past the deadline at the given time.
    assert_eq!(
        list(DemandFilter {
            overdue_at: Some(T0 + 3 * day),
            ..Default::default()
        })
        .await
        .0,
        ["低空"]
    );
    assert_eq!(
        list(DemandFilter {
            overdue_at: Some(T0 + 20 * day),
            ..Default::default()
        })
        .await
        .1,
        3
    );
    assert_eq!(
        list(DemandFilter {
            created_by: Some(staff.id.clone()),
            ..Default::default()
        })
        .await
        .1,
        0
    );
    let (page, total) = store
        .list_demands(&DemandFilter {
            limit: 1,
            offset: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((page.len(), total), (1, 3));

    // An answer applies only from the state the caller saw; each step is in the history.
    let accepted = store
        .change_demand(
            &a.id,
            DemandStatus::Open,
            DemandChange::Accept {
                planned_at: T0 + 30 * day,
                answer: "计划开放".into(),
            },
            &staff.id,
            serde_json::json!({"planned": 30}),
            T0 + 3,
        )
        .await
        .unwrap();
    assert_eq!(accepted.status, DemandStatus::Accepted);
    assert_eq!(accepted.planned_at, Some(T0 + 30 * day));
    assert_eq!(accepted.answered_by.as_deref(), Some(staff.id.as_str()));
    conflict_on(
        store
            .change_demand(
                &a.id,
                DemandStatus::Open,
                DemandChange::Reject {
                    reason: RejectionReason::Other,
                    answer: "x".into(),
                },
                &staff.id,
                serde_json::json!({}),
                T0 + 4,
            )
            .await,
        "status",
    );
    not_found(
        store
            .change_demand(
                "nope",
                DemandStatus::Open,
                DemandChange::Merge { into: a.id.clone() },
                &staff.id,
                serde_json::json!({}),
                T0,
            )
            .await,
    );
    let rejected = store
        .change_demand(
            &theme.id,
            DemandStatus::Open,
            DemandChange::Reject {
                reason: RejectionReason::NoSuchData,
                answer: "无此数据".into(),
            },
            &admin.id,
            serde_json::json!({}),
            T0 + 5,
        )
        .await
        .unwrap();
    assert_eq!(rejected.rejection_reason, Some(RejectionReason::NoSuchData));

    // Transfer: new department, new deadline.
    let health = store
        .create_org(NewOrganization {
            name: "health-demands".into(),
            title: "卫健".into(),
            kind: OrgKind::Department,
            uscc: None,
            description: String::new(),
            now: T0,
        })
        .await
        .unwrap();
    let moved = store
        .change_demand(
            &b.id,
            DemandStatus::Open,
            DemandChange::Transfer {
                to_org_id: health.id.clone(),
                due_at: T0 + 40 * day,
            },
            &admin.id,
            serde_json::json!({}),
            T0 + 6,
        )
        .await
        .unwrap();
    assert_eq!(moved.target, Target::Department(health.id.clone()));
    assert_eq!(moved.due_at, T0 + 40 * day);

    // Merge: b's supports (staff, admin) move to a (staff already there): a counts two.
    let merged = store
        .change_demand(
            &b.id,
            DemandStatus::Open,
            DemandChange::Merge { into: a.id.clone() },
            &admin.id,
            serde_json::json!({}),
            T0 + 7,
        )
        .await
        .unwrap();
    assert_eq!(merged.status, DemandStatus::Merged);
    assert_eq!(merged.merged_into.as_deref(), Some(a.id.as_str()));
    assert_eq!(merged.support_count, 0);
    assert_eq!(store.get_demand(&a.id).await.unwrap().support_count, 2);
    assert!(store.supports_demand(&a.id, &admin.id).await.unwrap());
    assert_eq!(list(DemandFilter::default()).await.1, 2);
    assert_eq!(
        list(DemandFilter {
            status: Some(DemandStatus::Merged),
            ..Default::default()
        })
        .await
        .0,
        ["客流重复"]
    );
    // Not into itself.
    let c = store
        .create_demand(new(
            "自身",
            Target::Department(transport.id.clone()),
            T0 + day,
            T0 + 8,
        ))
        .await
        .unwrap();
    conflict_on(
        store
            .change_demand(
                &c.id,
                DemandStatus::Open,
                DemandChange::Merge { into: c.id.clone() },
                &admin.id,
                serde_json::json!({}),
                T0 + 9,
            )
            .await,
        "status",
    );

    let history = store.list_demand_history(&b.id).await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.kind.as_str()).collect::<Vec<_>>(),
        ["filed", "transfer", "merge"]
    );
    assert_eq!(history[0].actor_id.as_deref(), Some(citizen.id.as_str()));

    // Fulfilled by a dataset; deleting the dataset keeps the demand and drops the link.
    let ds = store
        .create_dataset(NewDataset {
            name: "demand-fulfiller".into(),
            org_id: transport.id.clone(),
            meta: meta("满足需求", OpeningType::Unconditional),
            grade: Grade::L1,
            now: T0,
        })
        .await
        .unwrap();
    let fulfilled = store
        .change_demand(
            &a.id,
            DemandStatus::Accepted,
            DemandChange::Fulfil {
                dataset_id: Some(ds.id.clone()),
                grant_id: None,
            },
            &staff.id,
            serde_json::json!({}),
            T0 + 10,
        )
        .await
        .unwrap();
    assert_eq!(fulfilled.status, DemandStatus::Fulfilled);
    assert_eq!(
        fulfilled.fulfilled_dataset_id.as_deref(),
        Some(ds.id.as_str())
    );
    store.delete_dataset(&ds.id).await.unwrap();
    let kept = store.get_demand(&a.id).await.unwrap();
    assert_eq!(kept.status, DemandStatus::Fulfilled);
    assert_eq!(kept.fulfilled_dataset_id, None);

    // The filer's edit applies only in the state the caller saw, and is kept in the history.
    let fresh = store
        .create_demand(new(
            "低空",
            Target::Theme("低空经济".into()),
            T0 + 30 * day,
            T0 + 10,
        ))
        .await
        .unwrap();
    let edited = store
        .change_demand(
            &fresh.id,
            DemandStatus::Open,
            DemandChange::Edit {
                title: "低空经济航线".into(),
                description: "新的说明".into(),
            },
            &fresh.created_by,
            serde_json::json!({}),
            T0 + 11,
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.title.as_str(), edited.status),
        ("低空经济航线", DemandStatus::Open)
    );
    let history = store.list_demand_history(&fresh.id).await.unwrap();
    assert_eq!(history.last().unwrap().kind, "edit");
    conflict_on(
        store
            .change_demand(
                &a.id,
                DemandStatus::Open,
                DemandChange::Edit {
                    title: "x".into(),
                    description: "y".into(),
                },
                &a.created_by,
                serde_json::json!({}),
                T0 + 12,
            )
            .await,
        "status",
    );

    // A user's supports and comments, newest first.
    assert!(store
        .support_demand(&fresh.id, &staff.id, T0 + 13)
        .await
        .unwrap());
    let supported = store.list_supported_demands(&staff.id, 10).await.unwrap();
    assert_eq!(supported[0].id, fresh.id);
    assert!(supported.iter().all(|d| d.id != b.id), "b's supports moved");
    store
        .add_demand_comment(&fresh.id, &staff.id, "同样需要", T0 + 14)
        .await
        .unwrap();
    let said = store.list_user_demand_comments(&staff.id, 1).await.unwrap();
    assert_eq!(
        (said.len(), said[0].demand_id.as_str()),
        (1, fresh.id.as_str())
    );
    assert!(store
        .list_user_demand_comments(&admin.id, 10)
        .await
        .unwrap()
        .iter()
        .all(|c| c.user_id == admin.id));

    demand_stats_match_the_demands(store).await;
}

async fn consultations(
    store: &DynStore,
    transport: &Organization,
    firm: &Organization,
    staff: &User,
    admin: &User,
) {
    use model::consultation::{
        Adoption, Audience, EnterpriseSize, Ownership, ParticipantKind, Stance,
    };
    // Enterprise attributes live on the organization record.
    let profiled = store
        .set_enterprise_profile(
            &firm.id,
            Some(Ownership::Private),
            Some(EnterpriseSize::Small),
            Some("交通运输".into()),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            profiled.ownership,
            profiled.size,
            profiled.industry.as_deref()
        ),
        (
            Some(Ownership::Private),
            Some(EnterpriseSize::Small),
            Some("交通运输")
        )
    );
    assert_eq!(store.get_org(&firm.id).await.unwrap(), profiled);
    not_found(store.set_enterprise_profile("nope", None, None, None).await);

    let c = store
        .create_consultation(NewConsultation {
            org_id: transport.id.clone(),
            title: "网约车管理办法（征求意见稿）".into(),
            summary: "规范网约车经营。".into(),
            audience: Audience::Enterprises,
            opens_at: T0,
            closes_at: T0 + 30 * 86_400_000,
            short_reason: None,
            answers_due_at: T0 + 60 * 86_400_000,
            articles: vec![
                Article {
                    number: 1,
                    heading: "目的".into(),
                    body: "为了规范……".into(),
                },
                Article {
                    number: 2,
                    heading: String::new(),
                    body: "本办法适用于……".into(),
                },
            ],
            created_by: staff.id.clone(),
            now: T0,
        })
        .await
        .unwrap();
    assert_eq!(c.comment_count, 0);
    assert_eq!(store.get_consultation(&c.id).await.unwrap(), c);
    let articles = store.list_articles(&c.id).await.unwrap();
    assert_eq!(
        articles.iter().map(|a| a.number).collect::<Vec<_>>(),
        [1, 2]
    );
    let (list, total) = store.list_consultations(0, 10).await.unwrap();
    assert_eq!((list.len(), total), (1, 1));

    let author = store
        .create_user(NewUser {
            username: "firm-consult".into(),
            display_name: "企业".into(),
            role: Role::Enterprise,
            org_id: Some(firm.id.clone()),
            password_hash: "$argon2id$v=19$x".into(),
            now: T0,
        })
        .await
        .unwrap();
    let comment = store
        .add_consultation_comment(NewConsultationComment {
            consultation_id: c.id.clone(),
            article: Some(2),
            user_id: author.id.clone(),
            participant: ParticipantKind::Enterprise,
            ownership: Some(Ownership::Private),
            size: Some(EnterpriseSize::Small),
            stance: Stance::Oppose,
            body: "适用范围过宽。".into(),
            now: T0 + 1,
        })
        .await
        .unwrap();
    assert_eq!(comment.article, Some(2));
    assert!(!comment.withdrawn);
    assert_eq!(
        store.get_consultation(&c.id).await.unwrap().comment_count,
        1
    );

    // Edits by the author only; supports once per user.
    let edited = store
        .change_consultation_comment(
            &comment.id,
            CommentChange::Edit {
                stance: Stance::Neutral,
                body: "建议缩小适用范围。".into(),
            },
            &author.id,
            T0 + 2,
        )
        .await
        .unwrap();
    assert_eq!(
        (edited.stance, edited.body.as_str()),
        (Stance::Neutral, "建议缩小适用范围。")
    );
    conflict_on(
        store
            .change_consultation_comment(
                &comment.id,
                CommentChange::Edit {
                    stance: Stance::Support,
                    body: "x".into(),
                },
                &staff.id,
                T0 + 3,
            )
            .await,
        "comment",
    );
    assert!(store
        .support_consultation_comment(&comment.id, &staff.id, T0 + 3)
        .await
        .unwrap());
    assert!(!store
        .support_consultation_comment(&comment.id, &staff.id, T0 + 4)
        .await
        .unwrap());
    assert_eq!(
        store
            .get_consultation_comment(&comment.id)
            .await
            .unwrap()
            .support_count,
        1
    );

    // A second comment is hidden, then withdrawn ones and answered ones are final.
    let other = store
        .add_consultation_comment(NewConsultationComment {
            consultation_id: c.id.clone(),
            article: None,
            user_id: author.id.clone(),
            participant: ParticipantKind::Enterprise,
            ownership: None,
            size: None,
            stance: Stance::Support,
            body: "支持。".into(),
            now: T0 + 5,
        })
        .await
        .unwrap();
    let hidden = store
        .change_consultation_comment(
            &other.id,
            CommentChange::Hide {
                reason: "含广告".into(),
            },
            &admin.id,
            T0 + 6,
        )
        .await
        .unwrap();
    assert_eq!(hidden.hidden_reason.as_deref(), Some("含广告"));
    conflict_on(
        store
            .change_consultation_comment(
                &other.id,
                CommentChange::Hide { reason: "x".into() },
                &admin.id,
                T0 + 7,
            )
            .await,
        "comment",
    );
    let answered = store
        .change_consultation_comment(
            &comment.id,
            CommentChange::Answer {
                adoption: Adoption::Partly,
                answer: "已调整第二条。".into(),
            },
            &staff.id,
            T0 + 8,
        )
        .await
        .unwrap();
    assert_eq!(answered.adoption, Some(Adoption::Partly));
    for change in [
        CommentChange::Answer {
            adoption: Adoption::Adopted,
            answer: String::new(),
        },
        CommentChange::Withdraw,
    ] {
        conflict_on(
            store
                .change_consultation_comment(&comment.id, change, &author.id, T0 + 9)
                .await,
            "comment",
        );
    }
    let withdrawn = store
        .change_consultation_comment(&other.id, CommentChange::Withdraw, &author.id, T0 + 10)
        .await
        .unwrap();
    assert!(withdrawn.withdrawn);
    not_found(
        store
            .change_consultation_comment("nope", CommentChange::Withdraw, &author.id, T0)
            .await,
    );
    let all = store.list_consultation_comments(&c.id).await.unwrap();
    assert_eq!(all.len(), 2);
    let mine = store
        .list_user_consultation_comments(&author.id, 1)
        .await
        .unwrap();
    assert_eq!(mine[0].id, other.id);

    // Attachments.
    let attachment = ConsultationAttachment {
        id: "att-1".into(),
        consultation_id: c.id.clone(),
        name: "说明.pdf".into(),
        byte_size: 1234,
        sha256: "ab".repeat(32),
        created_at: T0 + 29,
    };
    store
        .add_consultation_attachment(&attachment)
        .await
        .unwrap();
    assert_eq!(
        store.list_consultation_attachments(&c.id).await.unwrap(),
        [attachment]
    );

    // The close is logged once.
    assert!(store
        .mark_consultation_close_logged(&c.id, T0 + 30)
        .await
        .unwrap());
    assert!(!store
        .mark_consultation_close_logged(&c.id, T0 + 31)
        .await
        .unwrap());

    // The result, once.
    let published = store
        .publish_consultation_result(&c.id, "采纳部分意见。", T0 + 11)
        .await
        .unwrap();
    assert_eq!(published.result_published_at, Some(T0 + 11));
    conflict_on(
        store
            .publish_consultation_result(&c.id, "again", T0 + 12)
            .await,
        "result",
    );
}

/// The statistics' GROUP BYs against the same numbers counted from every demand listed, at two
/// moments (before and after some deadlines pass).
async fn demand_stats_match_the_demands(store: &DynStore) {
    let (all, _) = store
        .list_demands(&DemandFilter {
            limit: 1000,
            ..DemandFilter::default()
        })
        .await
        .unwrap();
    assert!(all.len() >= 3, "the story filed {} demands", all.len());
    // The closed filter: rejected and fulfilled, or open and accepted.
    for closed in [true, false] {
        let (list, total) = store
            .list_demands(&DemandFilter {
                closed: Some(closed),
                limit: 1000,
                ..DemandFilter::default()
            })
            .await
            .unwrap();
        let want = all
            .iter()
            .filter(|d| {
                matches!(d.status, DemandStatus::Rejected | DemandStatus::Fulfilled) == closed
            })
            .count();
        assert_eq!(
            (list.len(), total as usize),
            (want, want),
            "closed={closed}"
        );
    }
    for now in [T0, T0 + 20 * 86_400_000] {
        let groups = store.demand_stats(now).await.unwrap();
        let mut targets: Vec<Target> = all.iter().map(|d| d.target.clone()).collect();
        targets.sort_by_key(|t| format!("{t:?}"));
        targets.dedup();
        assert_eq!(groups.len(), targets.len());
        for t in targets {
            let mine: Vec<&Demand> = all.iter().filter(|d| d.target == t).collect();
            let count = |s: DemandStatus| mine.iter().filter(|d| d.status == s).count() as i64;
            let want = model::demand::DemandCounts {
                demands: mine.len() as i64,
                enterprise: mine.iter().filter(|d| d.enterprise).count() as i64,
                supports: mine.iter().map(|d| d.support_count).sum(),
                open: count(DemandStatus::Open),
                accepted: count(DemandStatus::Accepted),
                rejected: count(DemandStatus::Rejected),
                fulfilled: count(DemandStatus::Fulfilled),
                overdue: mine
                    .iter()
                    .filter(|d| model::demand::is_overdue(d.status, d.due_at, now))
                    .count() as i64,
                answered_late: mine
                    .iter()
                    .filter(|d| d.answered_at.is_some_and(|a| a >= d.due_at))
                    .count() as i64,
            };
            let mut want_days: Vec<(i64, i64)> = Vec::new();
            for d in &mine {
                if let Some(a) = d.answered_at {
                    let days = model::demand::days_to_answer(d.created_at, a);
                    match want_days.iter_mut().find(|(v, _)| *v == days) {
                        Some((_, n)) => *n += 1,
                        None => want_days.push((days, 1)),
                    }
                }
            }
            let g = groups.iter().find(|g| g.target == t).unwrap();
            assert_eq!(g.counts, want, "{t:?} at {now}");
            let mut got_days = g.answer_days.clone();
            got_days.sort_unstable();
            want_days.sort_unstable();
            assert_eq!(got_days, want_days, "{t:?}");
        }
    }
}

/// Feedback: services, items with photos and private contacts, the guarded workflow, filters,
/// the public history and the statistics.
async fn feedback(store: &DynStore, transport: &Organization, other: &Organization, staff: &User) {
    use model::feedback::{
        Attribute, AttributeType, AttributeValue, Contact, FeedbackEvent, FeedbackStatus as S,
    };
    let service = FeedbackService {
        code: "streetlight".into(),
        name: "路灯故障".into(),
        name_en: "Street light".into(),
        description: "路灯不亮或损坏".into(),
        group: "市政设施".into(),
        keywords: vec!["路灯".into(), "照明".into()],
        attributes: vec![Attribute {
            code: "kind".into(),
            datatype: AttributeType::SingleValueList,
            required: true,
            description: "什么问题？".into(),
            datatype_description: String::new(),
            order: 1,
            values: vec![AttributeValue {
                key: "dark".into(),
                name: "不亮".into(),
            }],
        }],
        org_id: transport.id.clone(),
        active: true,
        created_at: T0,
        modified_at: T0,
    };
    store.create_feedback_service(&service).await.unwrap();
    conflict_on(store.create_feedback_service(&service).await, "code");
    not_found(
        store
            .create_feedback_service(&FeedbackService {
                code: "nowhere".into(),
                org_id: "no-such-org".into(),
                ..service.clone()
            })
            .await,
    );
    assert_eq!(
        store.get_feedback_service("streetlight").await.unwrap(),
        service
    );
    let renamed = FeedbackService {
        name: "路灯".into(),
        modified_at: T0 + 1,
        ..service.clone()
    };
    store.update_feedback_service(&renamed).await.unwrap();
    assert_eq!(store.list_feedback_services().await.unwrap(), [renamed]);
    not_found(store.get_feedback_service("nope").await);

    let day = 86_400_000;
    let item = |n: i64, submitted_by: Option<&str>| Feedback {
        id: format!("fb-{n}"),
        token: format!("tok-{n}"),
        service_code: "streetlight".into(),
        org_id: transport.id.clone(),
        description: format!("第 {n} 盏路灯不亮"),
        hidden_reason: None,
        lat: Some(30.27),
        long: Some(120.15),
        address: None,
        attributes: [("kind".to_string(), vec!["dark".to_string()])].into(),
        submitted_by: submitted_by.map(str::to_string),
        secret_hash: format!("hash-{n}"),
        status: S::Submitted,
        status_note: None,
        due_at: T0 + n * MINUTE + 3 * day,
        expected_at: None,
        first_answered_at: None,
        closed_at: None,
        resolved_at: None,
        rating: None,
        reopen_count: 0,
        photo_count: 0,
        created_at: T0 + n * MINUTE,
        modified_at: T0 + n * MINUTE,
    };
    let contact = Contact {
        name: Some("张三".into()),
        phone: Some("13812345678".into()),
        email: None,
    };
    let photo = FeedbackPhoto {
        id: "photo-1".into(),
        feedback_id: "fb-1".into(),
        position: 0,
        media_type: "image/jpeg".into(),
        width: 640,
        height: 480,
        bytes: 12_345,
        created_at: T0 + MINUTE,
    };
    let a = store
        .create_feedback(NewFeedback {
            feedback: item(1, Some(&staff.id)),
            contact: Some(contact.clone()),
            photos: vec![photo.clone()],
        })
        .await
        .unwrap();
    assert_eq!(a.photo_count, 1);
    assert_eq!(store.get_feedback("fb-1").await.unwrap(), a);
    assert_eq!(store.get_feedback_by_token("tok-1").await.unwrap(), a);
    assert_eq!(store.feedback_contact("fb-1").await.unwrap(), Some(contact));
    assert_eq!(store.list_feedback_photos("fb-1").await.unwrap(), [photo]);
    let b = store
        .create_feedback(NewFeedback {
            feedback: item(2, None),
            contact: None,
            photos: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(store.feedback_contact(&b.id).await.unwrap(), None);
    conflict_on(
        store
            .create_feedback(NewFeedback {
                feedback: Feedback {
                    id: "fb-3".into(),
                    ..item(1, None)
                },
                contact: None,
                photos: Vec::new(),
            })
            .await,
        "token",
    );
    not_found(store.get_feedback("fb-3").await);

    // The workflow is guarded by the state the caller saw.
    let t = T0 + 10 * MINUTE;
    let accepted = store
        .change_feedback(
            "fb-1",
            S::Submitted,
            FeedbackChange::Accept {
                expected_at: t + day,
            },
            Some(&staff.id),
            "已派人查看",
            t,
        )
        .await
        .unwrap();
    assert_eq!(accepted.status, S::Accepted);
    assert_eq!(accepted.first_answered_at, Some(t));
    assert_eq!(accepted.expected_at, Some(t + day));
    assert_eq!(accepted.status_note.as_deref(), Some("已派人查看"));
    conflict_on(
        store
            .change_feedback("fb-1", S::Submitted, FeedbackChange::Reject, None, "x", t)
            .await,
        "status",
    );
    not_found(
        store
            .change_feedback("fb-9", S::Submitted, FeedbackChange::Reject, None, "x", t)
            .await,
    );
    let resolved = store
        .change_feedback(
            "fb-1",
            S::Accepted,
            FeedbackChange::Resolve,
            Some(&staff.id),
            "已修复",
            t + 2 * 3_600_000,
        )
        .await
        .unwrap();
    assert_eq!(resolved.resolved_at, Some(t + 2 * 3_600_000));
    assert_eq!(resolved.closed_at, resolved.resolved_at);
    let rated = store
        .change_feedback(
            "fb-1",
            S::Resolved,
            FeedbackChange::Rate { rating: 4 },
            None,
            "",
            t + day,
        )
        .await
        .unwrap();
    assert_eq!(rated.rating, Some(4));
    // Rated once only.
    conflict_on(
        store
            .change_feedback(
                "fb-1",
                S::Resolved,
                FeedbackChange::Rate { rating: 5 },
                None,
                "",
                t + day,
            )
            .await,
        "status",
    );
    let reopened = store
        .change_feedback(
            "fb-1",
            S::Resolved,
            FeedbackChange::Reopen {
                due_at: t + 5 * day,
            },
            None,
            "还是不亮",
            t + 2 * day,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            reopened.status,
            reopened.reopen_count,
            reopened.rating,
            reopened.closed_at
        ),
        (S::Submitted, 1, None, None)
    );
    // The first answer is kept; the resolution time stays until it is resolved again.
    assert_eq!(reopened.first_answered_at, Some(t));
    store
        .change_feedback(
            "fb-1",
            S::Submitted,
            FeedbackChange::Reject,
            Some(&staff.id),
            "重复",
            t + 3 * day,
        )
        .await
        .unwrap();
    conflict_on(
        store
            .change_feedback(
                "fb-1",
                S::Rejected,
                FeedbackChange::Reopen { due_at: t },
                None,
                "再次",
                t + 3 * day,
            )
            .await,
        "status",
    );
    let moved = store
        .change_feedback(
            "fb-2",
            S::Submitted,
            FeedbackChange::Transfer {
                org_id: other.id.clone(),
                due_at: t + 4 * day,
            },
            Some(&staff.id),
            "转交",
            t,
        )
        .await
        .unwrap();
    assert_eq!(
        (moved.org_id.as_str(), moved.due_at),
        (other.id.as_str(), t + 4 * day)
    );
    let hidden = store
        .change_feedback(
            "fb-2",
            S::Submitted,
            FeedbackChange::Hide,
            Some(&staff.id),
            "含有他人隐私",
            t,
        )
        .await
        .unwrap();
    assert_eq!(hidden.hidden_reason.as_deref(), Some("含有他人隐私"));
    assert_eq!(hidden.status_note.as_deref(), Some("转交"));

    let steps = store.list_feedback_steps("fb-1").await.unwrap();
    assert_eq!(
        steps.iter().map(|s| s.kind).collect::<Vec<_>>(),
        [
            FeedbackEvent::Submit,
            FeedbackEvent::Accept,
            FeedbackEvent::Resolve,
            FeedbackEvent::Rate,
            FeedbackEvent::Reopen,
            FeedbackEvent::Reject
        ]
    );
    assert_eq!(steps[4].note, "还是不亮");
    assert_eq!(steps[5].status, S::Rejected);
    let between = store
        .list_feedback_steps_between(t, t + 2 * day, 100)
        .await
        .unwrap();
    assert_eq!(between.len(), 5, "{between:?}");
    assert_eq!(
        store
            .list_feedback_steps_between(t, t + 2 * day, 2)
            .await
            .unwrap()
            .len(),
        2
    );

    // Filters.
    let ids = |list: Vec<Feedback>| list.into_iter().map(|f| f.id).collect::<Vec<_>>();
    let all = FeedbackFilter::default();
    assert_eq!(
        ids(store.list_feedback(&all).await.unwrap()),
        ["fb-2", "fb-1"]
    );
    let only = |f: FeedbackFilter| async move { ids(store.list_feedback(&f).await.unwrap()) };
    assert_eq!(
        only(FeedbackFilter {
            ids: vec!["fb-1".into(), "x".into()],
            ..all.clone()
        })
        .await,
        ["fb-1"]
    );
    assert_eq!(
        only(FeedbackFilter {
            org_id: Some(other.id.clone()),
            ..all.clone()
        })
        .await,
        ["fb-2"]
    );
    assert_eq!(
        only(FeedbackFilter {
            statuses: vec![S::Rejected, S::Resolved],
            ..all.clone()
        })
        .await,
        ["fb-1"]
    );
    assert_eq!(
        only(FeedbackFilter {
            service_codes: vec!["other".into()],
            ..all.clone()
        })
        .await,
        Vec::<String>::new()
    );
    // Several services: one branch per service, merged in order, with the page applied after.
    let two = FeedbackFilter {
        service_codes: vec!["other".into(), "streetlight".into()],
        ..all.clone()
    };
    assert_eq!(only(two.clone()).await, ["fb-2", "fb-1"]);
    assert_eq!(
        only(FeedbackFilter {
            offset: 1,
            limit: 1,
            ..two.clone()
        })
        .await,
        ["fb-1"]
    );
    assert_eq!(
        only(FeedbackFilter {
            statuses: vec![S::Rejected, S::Resolved],
            from: Some(T0),
            ..two.clone()
        })
        .await,
        ["fb-1"]
    );
    assert_eq!(
        only(FeedbackFilter {
            overdue_at: Some(t + 4 * day),
            ..all.clone()
        })
        .await,
        ["fb-2"]
    );
    assert_eq!(
        only(FeedbackFilter {
            overdue_at: Some(t + 4 * day - 1),
            ..all.clone()
        })
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        only(FeedbackFilter {
            from: Some(T0 + 2 * MINUTE),
            ..all.clone()
        })
        .await,
        ["fb-2"]
    );
    assert_eq!(
        only(FeedbackFilter {
            until: Some(T0 + 2 * MINUTE),
            ..all.clone()
        })
        .await,
        ["fb-1"]
    );
    assert_eq!(
        only(FeedbackFilter {
            submitted_by: Some(staff.id.clone()),
            ..all.clone()
        })
        .await,
        ["fb-1"]
    );
    assert_eq!(
        only(FeedbackFilter {
            offset: 1,
            limit: 1,
            ..all.clone()
        })
        .await,
        ["fb-1"]
    );

    // Statistics.
    let mut groups = store.feedback_stats(t + 4 * day).await.unwrap();
    groups.sort_by(|a, b| a.org_id.cmp(&b.org_id));
    let of = |org: &str| groups.iter().find(|g| g.org_id == org).unwrap().clone();
    let at_transport = of(&transport.id);
    assert_eq!(
        (
            at_transport.counts.total,
            at_transport.counts.rejected,
            at_transport.counts.rated
        ),
        (1, 1, 0)
    );
    assert_eq!(
        at_transport.answer_hours,
        [((t - (T0 + MINUTE)) / 3_600_000, 1)]
    );
    assert_eq!(
        at_transport.resolve_hours,
        [((t + 2 * 3_600_000 - (T0 + MINUTE)) / 3_600_000, 1)]
    );
    let at_other = of(&other.id);
    assert_eq!((at_other.counts.total, at_other.counts.overdue), (1, 1));
    let months = store.feedback_months().await.unwrap();
    assert_eq!(months.len(), 1);
    assert_eq!((months[0].total, months[0].resolved), (2, 0));
    assert_eq!(months[0].month, model::calendar::cst_month(T0));
}

/// Points: rules, credits once per key with daily caps, reversals, the leaderboard, rewards,
/// redemptions and their cancellation.
async fn points(store: &DynStore, staff: &User, admin: &User) {
    use model::points::{default_config, EntryKind, PointsRule, RedeemError, DEFAULT_EXPIRY};
    let rule = PointsRule::Participation;
    assert!(store.points_rules().await.unwrap().is_empty());
    let capped = model::points::RuleConfig {
        points: 2,
        daily_cap: Some(3),
        enabled: true,
    };
    store.set_points_rule(rule, capped, T0).await.unwrap();
    assert_eq!(store.points_rules().await.unwrap(), [(rule, capped)]);
    let credit = |object: &str, config, now| NewCredit {
        user_id: staff.id.clone(),
        rule,
        object: object.to_string(),
        config,
        expiry: DEFAULT_EXPIRY,
        note: format!("note {object}"),
        now,
    };
    // Once per key; the cap cuts the second credit of the day to 1 and stops the third.
    let first = store
        .credit_points(&credit("c-1", capped, T0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.points, first.kind), (2, EntryKind::Credit));
    assert_eq!(
        first.expires_at,
        model::points::expires_at(DEFAULT_EXPIRY, T0)
    );
    assert!(store
        .credit_points(&credit("c-1", capped, T0 + MINUTE))
        .await
        .unwrap()
        .is_none());
    let second = store
        .credit_points(&credit("c-2", capped, T0 + MINUTE))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.points, 1);
    assert!(store
        .credit_points(&credit("c-3", capped, T0 + 2 * MINUTE))
        .await
        .unwrap()
        .is_none());
    // The next day the cap starts again.
    let day = 24 * 60 * MINUTE;
    store
        .credit_points(&credit("c-3", capped, T0 + day))
        .await
        .unwrap()
        .unwrap();
    // A bigger credit of another rule.
    let resolved = NewCredit {
        rule: PointsRule::FeedbackResolved,
        ..credit(
            "fb-1",
            default_config(PointsRule::FeedbackResolved),
            T0 + day,
        )
    };
    store.credit_points(&resolved).await.unwrap().unwrap();
    not_found(
        store
            .credit_points(&NewCredit {
                user_id: "nobody".into(),
                ..resolved.clone()
            })
            .await,
    );
    assert_eq!(
        store
            .points_credited_for(PointsRule::FeedbackResolved, "fb-1")
            .await
            .unwrap(),
        std::slice::from_ref(&staff.id)
    );
    // Reversed once; a key never credited reverses nothing.
    let rev = store
        .reverse_points(&staff.id, rule, "c-3", "hidden", T0 + day)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((rev.kind, rev.points), (EntryKind::Reversal, 2));
    assert!(store
        .reverse_points(&staff.id, rule, "c-3", "hidden", T0 + day)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .reverse_points(&staff.id, rule, "c-9", "hidden", T0 + day)
        .await
        .unwrap()
        .is_none());
    let ledger = store.points_ledger(&staff.id).await.unwrap();
    assert_eq!(ledger.len(), 5);
    let b = balance_of(&ledger, T0 + day, 0);
    assert_eq!((b.spendable, b.lifetime), (2 + 1 + 10, 13));

    // The leaderboard shows only those who chose to appear.
    assert!(store.points_leaderboard(10).await.unwrap().is_empty());
    let mine = PointsAccount {
        user_id: staff.id.clone(),
        public: true,
        display_name: "王".into(),
    };
    store.set_points_account(&mine, T0).await.unwrap();
    assert_eq!(store.points_account(&staff.id).await.unwrap(), mine);
    assert_eq!(
        store.points_leaderboard(10).await.unwrap(),
        [(mine.clone(), 13)]
    );
    assert!(!store.points_account(&admin.id).await.unwrap().public);

    // Rewards.
    let reward = Reward {
        id: "rw-1".into(),
        name: "公交卡".into(),
        name_en: "Bus card".into(),
        description: "领取".into(),
        cost: 5,
        stock: 1,
        total: 1,
        per_user: 2,
        starts_at: T0,
        ends_at: T0 + 10 * day,
        created_at: T0,
        modified_at: T0,
    };
    store.create_reward(&reward).await.unwrap();
    conflict_on(store.create_reward(&reward).await, "id");
    assert_eq!(store.get_reward("rw-1").await.unwrap(), reward);
    not_found(store.get_reward("rw-9").await);
    let now = T0 + day;
    let r1 = store
        .redeem("rw-1", &staff.id, "CODE-1", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((r1.points, r1.status.as_str()), (5, "issued"));
    assert_eq!(
        store
            .redeem("rw-1", &staff.id, "CODE-2", now)
            .await
            .unwrap(),
        Err(RedeemError::OutOfStock)
    );
    assert_eq!(
        store
            .redeem("rw-1", &staff.id, "CODE-2", T0 + 11 * day)
            .await
            .unwrap(),
        Err(RedeemError::OutsidePeriod)
    );
    not_found(store.redeem("rw-9", &staff.id, "CODE-2", now).await);
    let more = store
        .update_reward(
            &Reward {
                cost: 7,
                modified_at: now,
                ..reward.clone()
            },
            2,
        )
        .await
        .unwrap();
    assert_eq!((more.stock, more.total, more.cost), (2, 3, 7));
    // 13 - 5 = 8 left: one more at 7, then the per-user limit of 2 is reached.
    let r2 = store
        .redeem("rw-1", &staff.id, "CODE-2", now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .redeem("rw-1", &staff.id, "CODE-3", now)
            .await
            .unwrap(),
        Err(RedeemError::LimitReached(2))
    );
    assert_eq!(
        store
            .redeem("rw-1", &admin.id, "CODE-3", now)
            .await
            .unwrap(),
        Err(RedeemError::NotEnoughPoints {
            cost: 7,
            spendable: 0
        })
    );
    let b = balance_of(&store.points_ledger(&staff.id).await.unwrap(), now, 0);
    assert_eq!((b.spendable, b.lifetime), (1, 13));
    // Cancelled once: points and stock come back.
    let cancelled = store
        .cancel_redemption(&r2.id, "缺货", Some(now + day), now + 1)
        .await
        .unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert_eq!(cancelled.cancel_reason.as_deref(), Some("缺货"));
    conflict_on(
        store
            .cancel_redemption(&r2.id, "again", None, now + 2)
            .await,
        "status",
    );
    not_found(store.cancel_redemption("no", "x", None, now).await);
    assert_eq!(store.get_reward("rw-1").await.unwrap().stock, 2);
    let b = balance_of(&store.points_ledger(&staff.id).await.unwrap(), now + 2, 0);
    assert_eq!((b.spendable, b.lifetime), (8, 13));
    // Redemptions by user and reward; the leaf is recorded later.
    let mine = store.list_redemptions(Some(&staff.id), None).await.unwrap();
    assert_eq!(mine.len(), 2);
    assert!(store
        .list_redemptions(Some(&admin.id), Some("rw-1"))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.unlogged_redemptions(i64::MAX).await.unwrap().len(), 2);
    assert!(store
        .unlogged_redemptions(now - 1)
        .await
        .unwrap()
        .is_empty());
    store.set_redemption_logged(&r1.id, 7).await.unwrap();
    assert_eq!(
        store.get_redemption(&r1.id).await.unwrap().log_index,
        Some(7)
    );
    assert_eq!(
        store.unlogged_redemptions(i64::MAX).await.unwrap()[0].id,
        r2.id
    );
    not_found(store.set_redemption_logged("no", 1).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn points_under_contention_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("meta.db").display());
    contention(store::connect(&url).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn points_under_contention_on_postgres() {
    testkit::with_postgres("gongshu_test", |url| async move {
        contention(store::connect(&url).await.unwrap()).await
    })
    .await;
}

/// Redemption and crediting under concurrency: 200 users who can all afford a reward with stock
/// 10 redeem it at once and exactly 10 succeed; one user with points for 3 redemptions sends 50
/// at once and exactly 3 succeed; the same credit sent 100 times at once is granted once. Every
/// balance is exact afterwards.
async fn contention(store: DynStore) {
    use model::points::{PointsRule, RedeemError, RuleConfig, DEFAULT_EXPIRY};
    let config = RuleConfig {
        points: 10,
        daily_cap: None,
        enabled: true,
    };
    let mut users = Vec::new();
    for i in 0..201 {
        let u = store
            .create_user(NewUser {
                username: format!("u{i}"),
                display_name: format!("用户{i}"),
                role: Role::Citizen,
                org_id: None,
                password_hash: "x".into(),
                now: T0,
            })
            .await
            .unwrap();
        users.push(u.id);
    }
    let credit = |user: &str, object: &str| NewCredit {
        user_id: user.to_string(),
        rule: PointsRule::FeedbackResolved,
        object: object.to_string(),
        config,
        expiry: DEFAULT_EXPIRY,
        note: String::new(),
        now: T0,
    };
    for u in &users[..200] {
        store.credit_points(&credit(u, "seed")).await.unwrap();
    }
    let reward = |id: &str, stock, per_user| Reward {
        id: id.into(),
        name: id.into(),
        name_en: String::new(),
        description: String::new(),
        cost: 10,
        stock,
        total: stock,
        per_user,
        starts_at: T0,
        ends_at: T0 + 1_000 * MINUTE,
        created_at: T0,
        modified_at: T0,
    };
    store.create_reward(&reward("scarce", 10, 1)).await.unwrap();
    let tasks: Vec<_> = users[..200]
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let (store, u) = (store.clone(), u.clone());
            tokio::spawn(async move {
                store
                    .redeem("scarce", &u, &format!("S-{i}"), T0 + MINUTE)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => assert_eq!(e, RedeemError::OutOfStock),
        }
    }
    assert_eq!(won, 10);
    assert_eq!(store.get_reward("scarce").await.unwrap().stock, 0);
    let mut spendable = 0;
    for u in &users[..200] {
        let b = balance_of(&store.points_ledger(u).await.unwrap(), T0 + MINUTE, 0);
        assert!(b.spendable == 0 || b.spendable == 10);
        assert_eq!(b.lifetime, 10);
        spendable += b.spendable;
    }
    assert_eq!(spendable, 190 * 10);

    // One user with 30 points sends 50 redemptions at once.
    let rich = users[200].clone();
    for k in 0..3 {
        store
            .credit_points(&credit(&rich, &format!("r-{k}")))
            .await
            .unwrap()
            .unwrap();
    }
    store
        .create_reward(&reward("plenty", 100, 100))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (store, u) = (store.clone(), rich.clone());
            tokio::spawn(async move {
                store
                    .redeem("plenty", &u, &format!("P-{i}"), T0 + MINUTE)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => assert!(matches!(e, RedeemError::NotEnoughPoints { .. }), "{e}"),
        }
    }
    assert_eq!(won, 3);
    assert_eq!(store.get_reward("plenty").await.unwrap().stock, 97);
    let b = balance_of(&store.points_ledger(&rich).await.unwrap(), T0 + MINUTE, 0);
    assert_eq!((b.spendable, b.lifetime), (0, 30));

    // The same event credited 100 times at once.
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (store, c) = (store.clone(), credit(&users[0], "same-event"));
            tokio::spawn(async move { store.credit_points(&c).await.unwrap() })
        })
        .collect();
    let mut granted = 0;
    for t in tasks {
        granted += usize::from(t.await.unwrap().is_some());
    }
    assert_eq!(granted, 1);
    let b = balance_of(
        &store.points_ledger(&users[0]).await.unwrap(),
        T0 + MINUTE,
        0,
    );
    assert_eq!(b.lifetime, 20);
}

/// Activities: tasks found by kind, target and period; quiz attempts numbered and limited.
async fn activities(store: &DynStore, user: &User) {
    use model::points::{Question, Quiz, TaskKind};
    let a = Activity {
        id: "act-1".into(),
        title: "数据开放宣传月".into(),
        title_en: "Open data month".into(),
        description: "参与即得积分".into(),
        starts_at: T0,
        ends_at: T0 + 60 * MINUTE,
        created_at: T0,
    };
    let quiz = Quiz {
        brief: "《公共数据开放条例》".into(),
        questions: vec![Question {
            text: "开放数据可以商用吗？".into(),
            options: vec!["可以".into(), "不可以".into()],
            answer: 0,
        }],
        pass: 1.0,
        max_attempts: 2,
    };
    let task = |id: &str, position, kind, target: &str, quiz| ActivityTask {
        id: id.into(),
        activity_id: a.id.clone(),
        position,
        kind,
        target: target.into(),
        title: format!("task {id}"),
        points: 5,
        quiz,
    };
    let tasks = [
        task("t-road", 0, TaskKind::Feedback, "road-damage", None),
        task("t-any", 1, TaskKind::Feedback, "", None),
        task("t-quiz", 2, TaskKind::Quiz, "", Some(quiz.clone())),
    ];
    store.create_activity(&a, &tasks).await.unwrap();
    conflict_on(store.create_activity(&a, &[]).await, "id");
    let (got, got_tasks) = store.get_activity("act-1").await.unwrap();
    assert_eq!((got, got_tasks.as_slice()), (a.clone(), &tasks[..]));
    not_found(store.get_activity("act-9").await);
    assert_eq!(store.get_task("t-quiz").await.unwrap().quiz, Some(quiz));
    not_found(store.get_task("t-9").await);
    assert_eq!(
        store.list_activities().await.unwrap(),
        std::slice::from_ref(&a)
    );
    let ids = |t: Vec<ActivityTask>| t.into_iter().map(|t| t.id).collect::<Vec<_>>();
    let open = |kind, target: &'static str, now| async move {
        ids(store.open_tasks(kind, target, now).await.unwrap())
    };
    assert_eq!(
        open(TaskKind::Feedback, "road-damage", T0).await,
        ["t-road", "t-any"]
    );
    assert_eq!(open(TaskKind::Feedback, "noise", T0).await, ["t-any"]);
    assert!(open(TaskKind::Feedback, "road-damage", T0 + 60 * MINUTE)
        .await
        .is_empty());
    assert!(open(TaskKind::Demand, "", T0).await.is_empty());

    let attempt = QuizAttempt {
        id: "qa-1".into(),
        task_id: "t-quiz".into(),
        user_id: user.id.clone(),
        attempt: 0,
        answers: vec![Some(1)],
        score: 0,
        passed: false,
        created_at: T0,
    };
    let first = store.add_quiz_attempt(&attempt, 2).await.unwrap();
    assert_eq!(first.attempt, 1);
    let second = QuizAttempt {
        id: "qa-2".into(),
        answers: vec![Some(0)],
        score: 1,
        passed: true,
        ..attempt.clone()
    };
    assert_eq!(store.add_quiz_attempt(&second, 2).await.unwrap().attempt, 2);
    conflict_on(
        store
            .add_quiz_attempt(
                &QuizAttempt {
                    id: "qa-3".into(),
                    ..attempt.clone()
                },
                2,
            )
            .await,
        "attempt",
    );
    let made = store.quiz_attempts("t-quiz", &user.id).await.unwrap();
    assert_eq!(made.iter().map(|a| a.attempt).collect::<Vec<_>>(), [1, 2]);
    assert!(made[1].passed && made[1].answers == [Some(0)]);
}

/// Clean-room policies, clean rooms over several applications, and the ε budget, which never
/// goes past what was granted.
async fn cleanroom(store: &DynStore, transport: &Organization, firm: &Organization, staff: &User) {
    const T: i64 = T0 + 1900 * MINUTE;
    let dataset = |name: &str, org: &Organization| NewDataset {
        name: name.into(),
        org_id: org.id.clone(),
        meta: meta(name, OpeningType::Conditional),
        grade: Grade::L2,
        now: T,
    };
    let insured = store
        .create_dataset(dataset("insured", transport))
        .await
        .unwrap();
    let employees = store
        .create_dataset(dataset("employees", firm))
        .await
        .unwrap();
    not_found(store.get_cleanroom_policy(&insured.id).await);
    let mut policy = model::cleanroom::Policy::for_entity("citizen_id");
    let declared = CleanRoomPolicy {
        dataset_id: insured.id.clone(),
        policy: policy.clone(),
        updated_by: staff.id.clone(),
        updated_at: T,
    };
    store.put_cleanroom_policy(&declared).await.unwrap();
    assert_eq!(
        store.get_cleanroom_policy(&insured.id).await.unwrap(),
        declared
    );
    // A second declaration replaces the first.
    policy.join_keys = vec!["citizen_id".into()];
    policy.min_entities = 20;
    let replaced = CleanRoomPolicy {
        policy,
        updated_at: T + 1,
        ..declared
    };
    store.put_cleanroom_policy(&replaced).await.unwrap();
    assert_eq!(
        store.get_cleanroom_policy(&insured.id).await.unwrap(),
        replaced
    );

    let researcher = store
        .create_user(NewUser {
            username: "researcher".into(),
            display_name: "研究员".into(),
            role: Role::Citizen,
            org_id: None,
            password_hash: "$argon2id$v=19$x".into(),
            now: T,
        })
        .await
        .unwrap();
    let mut parts = Vec::new();
    for d in [&insured, &employees] {
        let a = store
            .create_application(NewApplication {
                applicant_id: researcher.id.clone(),
                applicant_org_id: None,
                dataset_id: d.id.clone(),
                requested: Terms {
                    columns: vec!["citizen_id".into()],
                    row_filter: Vec::new(),
                    modes: vec![Mode::CleanRoom],
                    duration_days: 30,
                    daily_row_quota: None,
                },
                purpose_category: PurposeCategory::Research,
                purpose: "就业与社保".into(),
                scenario: "按区和行业的平均工资".into(),
                needs_authority: true,
                now: T + 2,
            })
            .await
            .unwrap();
        parts.push((Some(a.id), d.id.clone()));
    }
    let room = store
        .create_cleanroom(NewCleanRoom {
            title: "就业与社保".into(),
            applicant_id: researcher.id.clone(),
            applicant_org_id: None,
            budget_micros: 1_000_000,
            parts: parts.clone(),
            now: T + 3,
        })
        .await
        .unwrap();
    assert_eq!(room.budget_micros, 1_000_000);
    assert_eq!((room.spent_micros, room.queries), (0, 0));
    assert_eq!(
        room.parts
            .iter()
            .map(|p| (p.application_id.clone(), p.dataset_id.clone()))
            .collect::<Vec<_>>(),
        parts
    );
    assert_eq!(store.get_cleanroom(&room.id).await.unwrap(), room);
    not_found(store.get_cleanroom("nope").await);
    assert_eq!(
        store
            .cleanroom_of_application(parts[1].0.as_deref().unwrap())
            .await
            .unwrap(),
        Some(room.id.clone())
    );
    assert_eq!(store.cleanroom_of_application("nope").await.unwrap(), None);
    // An application belongs to one clean room; a dataset appears once in each.
    conflict_on(
        store
            .create_cleanroom(NewCleanRoom {
                parts: vec![parts[0].clone()],
                ..NewCleanRoom {
                    title: "again".into(),
                    applicant_id: researcher.id.clone(),
                    applicant_org_id: None,
                    budget_micros: 1,
                    parts: Vec::new(),
                    now: T + 4,
                }
            })
            .await,
        "dataset_id",
    );
    let listed = store
        .list_cleanrooms_for_holder(Some(&researcher.id), None)
        .await
        .unwrap();
    assert_eq!(
        listed,
        std::slice::from_ref(&room),
        "the failed one left nothing behind"
    );
    assert_eq!(
        store.list_cleanrooms_on_org(&firm.id).await.unwrap(),
        std::slice::from_ref(&room)
    );
    assert!(store
        .list_cleanrooms_for_holder(Some(&staff.id), Some(&transport.id))
        .await
        .unwrap()
        .is_empty());

    // A dataset of the holder's own organization is a part without an application, in its place.
    let theirs = store
        .create_application(NewApplication {
            applicant_id: staff.id.clone(),
            applicant_org_id: Some(transport.id.clone()),
            dataset_id: employees.id.clone(),
            requested: Terms {
                columns: vec!["citizen_id".into()],
                row_filter: Vec::new(),
                modes: vec![Mode::CleanRoom],
                duration_days: 30,
                daily_row_quota: None,
            },
            purpose_category: PurposeCategory::Research,
            purpose: "参保与就业".into(),
            scenario: "本部门参保人员的就业行业分布".into(),
            needs_authority: true,
            now: T + 5,
        })
        .await
        .unwrap();
    let own_parts = vec![
        (None, insured.id.clone()),
        (Some(theirs.id.clone()), employees.id.clone()),
    ];
    let own = store
        .create_cleanroom(NewCleanRoom {
            title: "参保与就业".into(),
            applicant_id: staff.id.clone(),
            applicant_org_id: Some(transport.id.clone()),
            budget_micros: 1_000_000,
            parts: own_parts.clone(),
            now: T + 6,
        })
        .await
        .unwrap();
    assert_eq!(
        own.parts
            .iter()
            .map(|p| (p.application_id.clone(), p.dataset_id.clone()))
            .collect::<Vec<_>>(),
        own_parts
    );
    assert_eq!(store.get_cleanroom(&own.id).await.unwrap(), own);
    assert_eq!(
        store
            .list_cleanrooms_for_holder(Some(&staff.id), Some(&transport.id))
            .await
            .unwrap(),
        std::slice::from_ref(&own)
    );
    // Each organization whose data is in it sees it, through either kind of part.
    for org in [&transport, &firm] {
        let ids: Vec<String> = store
            .list_cleanrooms_on_org(&org.id)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, [own.id.clone(), room.id.clone()]);
    }
    conflict_on(
        store
            .create_cleanroom(NewCleanRoom {
                title: "twice".into(),
                applicant_id: staff.id.clone(),
                applicant_org_id: Some(transport.id.clone()),
                budget_micros: 1,
                parts: vec![(None, insured.id.clone()), (None, insured.id.clone())],
                now: T + 7,
            })
            .await,
        "dataset_id",
    );

    // Spending: never past the budget, and a query without noise still counts.
    let spent = store
        .spend_cleanroom_budget(&room.id, 400_000)
        .await
        .unwrap();
    assert_eq!((spent.spent_micros, spent.queries), (400_000, 1));
    let spent = store.spend_cleanroom_budget(&room.id, 0).await.unwrap();
    assert_eq!((spent.spent_micros, spent.queries), (400_000, 2));
    let spent = store
        .spend_cleanroom_budget(&room.id, 600_000)
        .await
        .unwrap();
    assert_eq!(spent.spent_micros, 1_000_000);
    conflict_on(store.spend_cleanroom_budget(&room.id, 1).await, "budget");
    not_found(store.spend_cleanroom_budget("nope", 1).await);
    assert_eq!(
        store.get_cleanroom(&room.id).await.unwrap().spent_micros,
        1_000_000
    );
}

/// Login failures: counted per key, refused once `max` are in the window (a refused attempt
/// counts nothing and names the wait), counted from one again after the window, and taken back
/// by a success. Then many attempts at once: exactly `max` get through.
async fn login_throttling(store: &DynStore) {
    let keys = |k: &[&str]| k.iter().map(|k| k.to_string()).collect::<Vec<_>>();
    let window = 15 * MINUTE;
    let a = keys(&["user:a", "addr:1"]);
    for i in 0..3 {
        let got = store.login_attempt(&a, 3, window, T0 + i).await.unwrap();
        assert_eq!(got, None);
    }
    let wait = store.login_attempt(&a, 3, window, T0 + 10).await.unwrap();
    assert_eq!(wait, Some(window - 10));
    // The account is locked, whatever the address; the address too, whatever the account.
    assert!(store
        .login_attempt(&keys(&["user:a"]), 3, window, T0 + 11)
        .await
        .unwrap()
        .is_some());
    assert!(store
        .login_attempt(&keys(&["user:b", "addr:1"]), 3, window, T0 + 12)
        .await
        .unwrap()
        .is_some());
    // The refusals counted nothing: user:b is free on another address.
    assert_eq!(
        store
            .login_attempt(&keys(&["user:b", "addr:2"]), 3, window, T0 + 13)
            .await
            .unwrap(),
        None
    );
    // After the window, counting starts again.
    assert_eq!(
        store
            .login_attempt(&a, 3, window, T0 + window)
            .await
            .unwrap(),
        None
    );
    // A success clears the account and takes one back from the address.
    store
        .login_succeeded("user:a", Some("addr:1"))
        .await
        .unwrap();
    for i in 0..3 {
        let got = store
            .login_attempt(&a, 3, window, T0 + window + 1 + i)
            .await
            .unwrap();
        assert_eq!(got, None, "attempt {i}");
    }
    assert!(store
        .login_attempt(&a, 3, window, T0 + window + 5)
        .await
        .unwrap()
        .is_some());

    let many = keys(&["user:many"]);
    let attempts = (0..20).map(|_| store.login_attempt(&many, 5, window, T0));
    let passed = futures::future::join_all(attempts)
        .await
        .into_iter()
        .filter(|r| matches!(r, Ok(None)))
        .count();
    assert_eq!(passed, 5);
}

/// The catalog change feed: changes in order after a position, the head, and a day's retention.
async fn catalog_feed(store: &DynStore) {
    assert_eq!(store.catalog_change_head().await.unwrap(), 0);
    let mut positions = Vec::new();
    for (kind, id, at) in [
        ("dataset", "d1", T0),
        ("demand", "m1", T0 + 1),
        ("dataset", "d1", T0 + 2),
    ] {
        positions.push(store.record_catalog_change(kind, id, at).await.unwrap());
    }
    let all = store.catalog_changes_after(0, 10).await.unwrap();
    assert_eq!(all.iter().map(|c| c.seq).collect::<Vec<_>>(), positions);
    let seen: Vec<(&str, &str)> = all
        .iter()
        .map(|c| (c.kind.as_str(), c.object_id.as_str()))
        .collect();
    assert_eq!(
        seen,
        [("dataset", "d1"), ("demand", "m1"), ("dataset", "d1")]
    );
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    let head = store.catalog_change_head().await.unwrap();
    assert_eq!(head, all[2].seq);
    assert_eq!(
        store.catalog_changes_after(all[0].seq, 1).await.unwrap(),
        all[1..2]
    );
    assert!(store
        .catalog_changes_after(head, 10)
        .await
        .unwrap()
        .is_empty());
    // A day later, the old changes are gone; positions keep growing.
    store
        .record_catalog_change("dataset", "d2", T0 + 24 * 60 * MINUTE + 5)
        .await
        .unwrap();
    let left = store.catalog_changes_after(0, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert!(left[0].seq > head);
}
