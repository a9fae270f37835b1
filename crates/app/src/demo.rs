//! Deterministic demo content for `gongshu serve --demo`: departments, an enterprise, a user for
//! every role, and datasets covering every grade, every opening type and every format Gongshu can
//! generate itself (CSV, TSV, GBK CSV, XLSX, JSON, NDJSON, Parquet). Personal data is generated,
//! never real: citizen IDs are built with valid check characters from made-up birth dates.
//!
//! Loaded only into a database without organizations, so restarting with `--demo` is harmless.

use crate::accounts::{self, NewOrgInput, NewUserInput};
use crate::catalog::{self, DatasetInput, StagedUpload};
use crate::clock::now_ms;
use crate::state::App;
use model::classification::{Domain, Grade, Importance, OpeningType};
use model::role::{OrgKind, Role};
use std::fmt::Write as _;
use std::path::Path;

/// A demo account: username, password, role, organization.
pub struct DemoUser {
    /// Login name.
    pub username: &'static str,
    /// Password (printed at start; demo only).
    pub password: &'static str,
    /// Role.
    pub role: Role,
    /// Organization slug.
    pub org: Option<&'static str>,
    /// Shown name.
    pub display: &'static str,
}

/// The demo accounts.
pub const USERS: &[DemoUser] = &[
    DemoUser {
        username: "admin",
        password: "admin-demo-2026",
        role: Role::Authority,
        org: Some("data-bureau"),
        display: "数据局管理员",
    },
    DemoUser {
        username: "transport",
        password: "transport-demo-2026",
        role: Role::Staff,
        org: Some("transport"),
        display: "交通运输局 王工",
    },
    DemoUser {
        username: "health",
        password: "health-demo-2026",
        role: Role::Staff,
        org: Some("health"),
        display: "卫生健康委 李工",
    },
    DemoUser {
        username: "hrss",
        password: "hrss-demo-2026",
        role: Role::Staff,
        org: Some("hrss"),
        display: "人社局 赵工",
    },
    DemoUser {
        username: "ecology",
        password: "ecology-demo-2026",
        role: Role::Staff,
        org: Some("ecology"),
        display: "生态环境局 孙工",
    },
    DemoUser {
        username: "enterprise",
        password: "enterprise-demo-2026",
        role: Role::Enterprise,
        org: Some("xihu-tech"),
        display: "西湖科技 陈经理",
    },
    DemoUser {
        username: "logistics",
        password: "logistics-demo-2026",
        role: Role::Enterprise,
        org: Some("qiantang-logistics"),
        display: "钱塘物流 周主管",
    },
    DemoUser {
        username: "citizen",
        password: "citizen-demo-2026",
        role: Role::Citizen,
        org: None,
        display: "市民 刘女士",
    },
    DemoUser {
        username: "research",
        password: "research-demo-2026",
        role: Role::Citizen,
        org: None,
        display: "高校研究员 吴老师",
    },
    DemoUser {
        username: "auditor",
        password: "auditor-demo-2026",
        role: Role::Auditor,
        org: None,
        display: "审计员 周先生",
    },
];

/// The dataset the demo creates last; its presence means the demo loaded completely.
const LAST_DATASET: &str = "water-network";

/// A small deterministic generator (64-bit LCG), so the demo is the same on every machine.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "杰", "婷", "强", "晨", "涛",
];
const DISTRICTS: &[&str] = &[
    "上城区",
    "拱墅区",
    "西湖区",
    "滨江区",
    "萧山区",
    "余杭区",
    "临平区",
    "钱塘区",
];

/// A generated citizen ID with a valid birth date and check character.
fn citizen_id(g: &mut Gen) -> String {
    let region = ["330102", "330105", "330106", "330108", "330109", "330110"][g.below(6) as usize];
    let year = 1950 + g.below(55);
    let month = 1 + g.below(12);
    let day = 1 + g.below(28);
    let seq = g.below(1000);
    let first = format!("{region}{year:04}{month:02}{day:02}{seq:03}");
    let check = model::ident::citizen_id_check_char(&first).expect("17 digits");
    format!("{first}{check}")
}

fn mobile(g: &mut Gen) -> String {
    let prefix = ["138", "139", "150", "158", "186", "177", "199"][g.below(7) as usize];
    format!("{prefix}{:08}", g.below(100_000_000))
}

fn person_name(g: &mut Gen) -> String {
    let mut n = g.pick(SURNAMES).to_string();
    n.push_str(g.pick(GIVEN));
    if g.below(2) == 0 {
        n.push_str(g.pick(GIVEN));
    }
    n
}

/// A unified social credit code with a valid check character.
pub fn uscc(body: &str) -> String {
    format!(
        "{body}{}",
        model::ident::uscc_check_char(body).expect("17 alphabet characters")
    )
}

/// Loads the demo content if the database is empty, and prints the accounts.
pub async fn load(app: &App) -> anyhow::Result<()> {
    let store = &app.store;
    if !store.list_orgs().await?.is_empty() {
        // The last demo dataset marks a complete load; anything else is someone's real data or
        // a load that failed halfway, and neither may be mixed with demo content.
        if store.get_dataset_by_name(LAST_DATASET).await.is_ok() {
            tracing::info!("demo content already loaded");
            print_accounts();
            return Ok(());
        }
        anyhow::bail!(
            "--demo needs an empty database, but this one has organizations and no complete demo; start with an empty --data-dir (or without --demo)"
        );
    }
    let now = now_ms();
    let orgs: [(&str, &str, OrgKind, Option<String>); 7] = [
        ("data-bureau", "市数据资源管理局", OrgKind::Authority, None),
        ("transport", "市交通运输局", OrgKind::Department, None),
        ("health", "市卫生健康委员会", OrgKind::Department, None),
        ("hrss", "市人力资源和社会保障局", OrgKind::Department, None),
        ("ecology", "市生态环境局", OrgKind::Department, None),
        (
            "xihu-tech",
            "杭州西湖数智科技有限公司",
            OrgKind::Enterprise,
            Some(uscc("91330106MA2B3C4D5")),
        ),
        (
            "qiantang-logistics",
            "杭州钱塘物流科技有限公司",
            OrgKind::Enterprise,
            Some(uscc("91330114MA2H7K8L9")),
        ),
    ];
    for (name, title, kind, code) in orgs {
        accounts::create_org(
            app,
            NewOrgInput {
                name: name.into(),
                title: title.into(),
                kind,
                uscc: code,
                description: String::new(),
            },
            now,
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo organization {name}: {}", e.message))?;
    }
    for u in USERS {
        accounts::create_user(
            app,
            NewUserInput {
                username: u.username.into(),
                display_name: Some(u.display.into()),
                role: u.role,
                organization: u.org.map(Into::into),
                password: u.password.into(),
            },
            now,
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo user {}: {}", u.username, e.message))?;
    }
    let dir = tempfile_dir(app)?;
    let result = load_datasets(app, &dir).await;
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    print_accounts();
    Ok(())
}

fn tempfile_dir(app: &App) -> anyhow::Result<std::path::PathBuf> {
    let dir = app
        .data_dir()
        .join(catalog::STAGING_DIR)
        .join(format!("demo-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn print_accounts() {
    let mut out = String::from("Demo accounts (演示账号):\n");
    for u in USERS {
        let _ = writeln!(
            out,
            "  {:<11} {:<22} {:<10} {}",
            u.username,
            u.password,
            u.role.code(),
            u.org.unwrap_or("-")
        );
    }
    println!("{out}");
}

struct Spec<'a> {
    name: &'a str,
    org_user: &'a str,
    title: &'a str,
    description: &'a str,
    themes: &'a [&'a str],
    tags: &'a [&'a str],
    frequency: &'a str,
    domain: Domain,
    opening: OpeningType,
    importance: Importance,
}

async fn dataset(app: &App, spec: Spec<'_>) -> anyhow::Result<(store::User, store::Dataset)> {
    let user = app.store.get_user_by_username(spec.org_user).await?;
    let input = DatasetInput {
        name: Some(spec.name.into()),
        organization: None,
        title: Some(spec.title.into()),
        description: Some(spec.description.into()),
        themes: Some(spec.themes.iter().map(|s| s.to_string()).collect()),
        tags: Some(spec.tags.iter().map(|s| s.to_string()).collect()),
        update_frequency: Some(spec.frequency.into()),
        license: Some("CC BY 4.0".into()),
        spatial: Some("杭州市".into()),
        temporal: Some("2024-01-01/2026-10-31".into()),
        contact: Some("0571-12345678".into()),
        domain: Some(spec.domain),
        opening_type: Some(spec.opening),
        importance: Some(spec.importance),
    };
    let d = catalog::create_dataset(app, &user, input, now_ms())
        .await
        .map_err(|e| anyhow::anyhow!("demo dataset {}: {}", spec.name, e.message))?;
    Ok((user, d))
}

async fn upload(
    app: &App,
    user: &store::User,
    dataset: &store::Dataset,
    resource: &str,
    file: &Path,
) -> anyhow::Result<store::Version> {
    // Publish from a copy in staging, as an upload would, so the generated file stays for reuse.
    let staged = StagedUpload::new(app.data_dir())?;
    std::fs::copy(file, staged.path())?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("data.csv");
    let (_, v) = catalog::publish_upload(
        app,
        user,
        dataset,
        resource,
        staged.path(),
        name,
        None,
        now_ms(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo upload {name}: {}", e.message))?;
    Ok(v)
}

async fn load_datasets(app: &App, dir: &Path) -> anyhow::Result<()> {
    let mut g = Gen(20261127);

    // 1. Bus stops: UTF-8 CSV with BOM, all L1, unconditionally open.
    let mut csv = String::from("\u{feff}站点编号,站点名称,所在区,经度,纬度,途经线路数\n");
    for i in 0..240 {
        let district = g.pick(DISTRICTS);
        let _ = writeln!(
            csv,
            "B{:05},{}{}站,{},{:.6},{:.6},{}",
            i + 1,
            district.trim_end_matches('区'),
            ["路口", "公园", "医院", "学校", "地铁", "广场"][g.below(6) as usize],
            district,
            120.0 + g.below(600_000) as f64 / 1e6,
            30.0 + g.below(500_000) as f64 / 1e6,
            1 + g.below(12)
        );
    }
    let bus = dir.join("bus_stops.csv");
    std::fs::write(&bus, csv)?;
    let (u, d) = dataset(app, Spec {
        name: "bus-stops", org_user: "transport", title: "公交站点信息",
        description: "全市公交站点的位置与途经线路数。Locations of bus stops and the number of lines serving them.",
        themes: &["交通出行"], tags: &["公交", "站点", "bus"], frequency: "monthly",
        domain: Domain::Government, opening: OpeningType::Unconditional, importance: Importance::Ordinary,
    }).await?;
    upload(app, &u, &d, "stops", &bus).await?;

    // 2. Air quality: TSV, unconditionally open.
    let mut tsv = String::from("监测站\t日期\tAQI\tPM2_5\t首要污染物\n");
    for day in 1..=90 {
        for station in ["西溪", "朝晖", "和睦", "卧龙桥"] {
            let _ = writeln!(
                tsv,
                "{station}\t2026-{:02}-{:02}\t{}\t{:.1}\t{}",
                7 + (day - 1) / 30,
                1 + (day - 1) % 30,
                20 + g.below(120),
                5.0 + g.below(900) as f64 / 10.0,
                g.pick(&["PM2.5", "O3", "PM10", "NO2"])
            );
        }
    }
    let air = dir.join("air_quality.tsv");
    std::fs::write(&air, tsv)?;
    let (u, d) = dataset(
        app,
        Spec {
            name: "air-quality-daily",
            org_user: "ecology",
            title: "空气质量日报",
            description:
                "各国控监测站每日空气质量指数。Daily air quality index by monitoring station.",
            themes: &["生态环境"],
            tags: &["空气", "AQI"],
            frequency: "daily",
            domain: Domain::Government,
            opening: OpeningType::Unconditional,
            importance: Importance::Ordinary,
        },
    )
    .await?;
    upload(app, &u, &d, "daily", &air).await?;

    // 3. Hospitals: XLSX workbook, unconditionally open.
    let xlsx = dir.join("hospitals.xlsx");
    {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["医院名称", "等级", "所在区", "床位数", "值班电话"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h)?;
        }
        for r in 1..=40u32 {
            let district = g.pick(DISTRICTS);
            ws.write_string(
                r,
                0,
                format!("{}第{}人民医院", district.trim_end_matches('区'), r),
            )?;
            ws.write_string(r, 1, g.pick(&["三级甲等", "三级乙等", "二级甲等"]))?;
            ws.write_string(r, 2, district)?;
            ws.write_number(r, 3, (200 + g.below(1800)) as f64)?;
            ws.write_string(r, 4, format!("0571-8{:07}", g.below(10_000_000)))?;
        }
        wb.save(&xlsx)?;
    }
    let (u, d) = dataset(
        app,
        Spec {
            name: "hospitals",
            org_user: "health",
            title: "医疗机构名录",
            description:
                "全市医疗机构的等级、床位与值班电话。Hospitals with level, beds and duty phone.",
            themes: &["医疗卫生"],
            tags: &["医院", "hospital"],
            frequency: "quarterly",
            domain: Domain::Government,
            opening: OpeningType::Unconditional,
            importance: Importance::Ordinary,
        },
    )
    .await?;
    upload(app, &u, &d, "hospitals", &xlsx).await?;

    // 4. Outpatient statistics: JSON, one column raised to L2 → conditionally open.
    let mut rows = Vec::new();
    for month in 1..=10 {
        for dept in ["内科", "外科", "儿科", "妇产科"] {
            rows.push(serde_json::json!({"月份": format!("2026-{month:02}"), "科室": dept, "门诊人次": 1000 + g.below(9000), "平均候诊分钟": 10 + g.below(50)}));
        }
    }
    let json_path = dir.join("outpatient.json");
    std::fs::write(&json_path, serde_json::to_vec_pretty(&rows)?)?;
    let (u, d) = dataset(app, Spec {
        name: "outpatient-stats", org_user: "health", title: "门诊服务统计",
        description: "各科室月度门诊人次与候诊时间。Monthly outpatient visits and waiting time by department.",
        themes: &["医疗卫生"], tags: &["门诊"], frequency: "monthly",
        domain: Domain::Government, opening: OpeningType::Conditional, importance: Importance::Ordinary,
    }).await?;
    upload(app, &u, &d, "monthly", &json_path).await?;
    let resource = app.store.list_resources(&d.id).await?.remove(0);
    catalog::set_column_grade(
        app,
        &u,
        &d,
        &resource,
        "平均候诊分钟",
        Grade::L2,
        "",
        now_ms(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo grade: {}", e.message))?;
    // Its data dictionary: every column described, month and department the key, the rows
    // kept in order of the month.
    let note = |column: &str, description: &str, key: bool| model::dictionary::ColumnNote {
        column: column.into(),
        description: description.into(),
        key,
        order: column == "月份",
    };
    crate::dictionary::set(
        app,
        &u,
        &d,
        &resource,
        &[
            note("月份", "统计月份，格式 YYYY-MM。Month, as YYYY-MM.", true),
            note("科室", "门诊科室名称。Outpatient department.", true),
            note("门诊人次", "当月门诊就诊人次（含复诊）。Visits in the month, follow-ups included.", false),
            note("平均候诊分钟", "从挂号到就诊的平均等待时间，单位分钟。Mean wait from registration to consultation, minutes.", false),
        ],
        now_ms(),
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo dictionary: {}", e.message))?;

    // 5. Social insurance payers: personal domain, generated citizen IDs and mobiles (L4, L3).
    let mut csv = String::from("姓名,身份证号,手机号,参保类型,月缴费基数,所在区\n");
    for _ in 0..500 {
        let _ = writeln!(
            csv,
            "{},{},{},{},{},{}",
            person_name(&mut g),
            citizen_id(&mut g),
            mobile(&mut g),
            g.pick(&["职工养老", "城乡居民养老", "职工医保"]),
            4000 + g.below(30000),
            g.pick(DISTRICTS)
        );
    }
    let si = dir.join("social_insurance.csv");
    std::fs::write(&si, csv)?;
    let (u, d) = dataset(app, Spec {
        name: "social-insurance-payers", org_user: "hrss", title: "社会保险参保人员",
        description: "参保人员明细（演示数据，身份证号与手机号均为生成数据）。Insured persons (generated demo data).",
        themes: &["社会保障"], tags: &["社保", "个人数据"], frequency: "monthly",
        domain: Domain::Personal, opening: OpeningType::Conditional, importance: Importance::Ordinary,
    }).await?;
    upload(app, &u, &d, "payers", &si).await?;

    // 6. Enterprise registry: a GBK-encoded CSV; credit codes are L1 enterprise identifiers.
    let mut text = String::from("企业名称,统一社会信用代码,注册资本万元,成立日期,所在区\n");
    for i in 0..120 {
        let body = format!("913301{:02}MA2{:06}", 2 + i % 8, 100_000 + g.below(900_000));
        let _ = writeln!(
            text,
            "杭州{}{}有限公司,{},{},{}-{:02}-{:02},{}",
            g.pick(&["星河", "云帆", "青山", "明湖", "东方", "数联"]),
            g.pick(&["科技", "贸易", "物流", "餐饮", "建设"]),
            uscc(&body),
            50 + g.below(5000),
            2000 + g.below(26),
            1 + g.below(12),
            1 + g.below(28),
            g.pick(DISTRICTS)
        );
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let registry = dir.join("enterprises_gbk.csv");
    std::fs::write(&registry, &gbk)?;
    let (u, d) = dataset(app, Spec {
        name: "enterprise-registry", org_user: "hrss", title: "企业登记信息",
        description: "企业名称、统一社会信用代码与注册资本（GBK 编码源文件）。Enterprise registry (GBK-encoded source).",
        themes: &["经济建设"], tags: &["企业", "登记"], frequency: "weekly",
        domain: Domain::Government, opening: OpeningType::Unconditional, importance: Importance::Ordinary,
    }).await?;
    upload(app, &u, &d, "registry", &registry).await?;

    // 7. Traffic flow: NDJSON, unconditionally open.
    let mut nd = String::new();
    for hour in 0..24 {
        for road in ["文三路", "天目山路", "延安路", "中河高架"] {
            let _ = writeln!(
                nd,
                "{}",
                serde_json::json!({"道路": road, "小时": hour, "车流量": 200 + g.below(3000), "平均车速": 15.0 + g.below(500) as f64 / 10.0})
            );
        }
    }
    let ndjson = dir.join("traffic_flow.ndjson");
    std::fs::write(&ndjson, nd)?;
    let (u, d) = dataset(
        app,
        Spec {
            name: "traffic-flow",
            org_user: "transport",
            title: "主要道路车流量",
            description:
                "主要道路分时段车流量与平均车速。Hourly traffic volume and speed on main roads.",
            themes: &["交通出行"],
            tags: &["交通", "traffic"],
            frequency: "hourly",
            domain: Domain::Government,
            opening: OpeningType::Unconditional,
            importance: Importance::Ordinary,
        },
    )
    .await?;
    let flow_version = upload(app, &u, &d, "hourly", &ndjson).await?;

    // 8. The enterprise's own data, uploaded as Parquet (the traffic version re-used as input).
    let mut emp = String::from("季度,岗位类别,员工人数,平均月薪\n");
    for q in ["2025Q4", "2026Q1", "2026Q2", "2026Q3"] {
        for job in ["研发", "销售", "运营", "客服"] {
            let _ = writeln!(
                emp,
                "{q},{job},{},{}",
                10 + g.below(200),
                6000 + g.below(20000)
            );
        }
    }
    let emp_csv = dir.join("employees.csv");
    std::fs::write(&emp_csv, emp)?;
    let (u, d) = dataset(app, Spec {
        name: "xihu-tech-employment", org_user: "enterprise", title: "西湖数智科技用工情况",
        description: "企业贡献数据：分岗位员工人数与平均薪资。Contributed by an enterprise: headcount and pay by job.",
        themes: &["经济建设", "社会保障"], tags: &["就业", "企业数据"], frequency: "quarterly",
        domain: Domain::Enterprise, opening: OpeningType::Conditional, importance: Importance::Ordinary,
    }).await?;
    let v = upload(app, &u, &d, "quarterly", &emp_csv).await?;
    let parquet_copy = dir.join("employees.parquet");
    app.files.fetch(&v.path, &parquet_copy).await?;
    upload(app, &u, &d, "quarterly", &parquet_copy).await?;
    let resource = app.store.list_resources(&d.id).await?.remove(0);
    catalog::set_column_grade(app, &u, &d, &resource, "平均月薪", Grade::L2, "", now_ms())
        .await
        .map_err(|e| anyhow::anyhow!("demo grade: {}", e.message))?;

    // 8b. A second enterprise whose monthly data improved version by version: the first upload
    // has empty cells, placeholders among the numbers and repeated rows; the third is clean.
    // The quality history and the contribution leaderboard show the difference.
    let (u, d) = dataset(app, Spec {
        name: "qiantang-deliveries", org_user: "logistics", title: "钱塘区快递派送量",
        description: "企业贡献数据：各街道每日快递派送量与平均时效。Contributed by an enterprise: daily parcel deliveries by subdistrict.",
        themes: &["经济建设"], tags: &["物流", "企业数据"], frequency: "monthly",
        domain: Domain::Enterprise, opening: OpeningType::Unconditional, importance: Importance::Ordinary,
    }).await?;
    let streets = [
        "白杨街道",
        "下沙街道",
        "河庄街道",
        "义蓬街道",
        "新湾街道",
        "临江街道",
    ];
    // (every n-th street empty, every n-th time empty, every n-th count a placeholder, rows
    // repeated at the end); the counts stay mostly numbers, so the placeholders are invalid.
    let rounds = [(2, 3, 6, 150), (10, 0, 12, 10), (0, 0, 300, 0)];
    for (round, (gaps, time_gaps, placeholders, repeats)) in rounds.into_iter().enumerate() {
        let mut text = String::from("日期,街道,派送量,平均时效（小时）\n");
        for i in 0..300u32 {
            let street = if gaps > 0 && i % gaps == 0 {
                ""
            } else {
                streets[(i % 6) as usize]
            };
            let count = if i % placeholders == 0 {
                "待统计".to_string()
            } else {
                (800 + g.below(1200)).to_string()
            };
            let hours = if time_gaps > 0 && i % time_gaps == 1 {
                String::new()
            } else {
                format!("{:.1}", 6.0 + g.below(180) as f64 / 10.0)
            };
            let _ = writeln!(
                text,
                "2026-{:02}-{:02},{street},{count},{hours}",
                9 + round,
                1 + i / 12 % 28,
            );
        }
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        for r in 0..repeats {
            let _ = writeln!(text, "{}", lines[1 + r]);
        }
        let file = dir.join(format!("deliveries-{round}.csv"));
        std::fs::write(&file, text)?;
        upload(app, &u, &d, "daily", &file).await?;
    }

    applications(app).await?;
    demands(app).await?;
    consultations(app).await?;
    feedback(app).await?;
    points(app).await?;
    cleanroom(app, dir, &mut g).await?;

    // 9. An important dataset: metadata listed, not open.
    let (u, d) = dataset(app, Spec {
        name: LAST_DATASET, org_user: "transport", title: "城市供水管网",
        description: "供水主干管网分布，属重要数据，仅公开目录信息。Water mains: important data, catalogued but not open.",
        themes: &["城市建设", "公共安全"], tags: &["管网"], frequency: "yearly",
        domain: Domain::Government, opening: OpeningType::NotOpen, importance: Importance::Important,
    }).await?;
    let flow_copy = dir.join("water_network.parquet");
    app.files.fetch(&flow_version.path, &flow_copy).await?;
    upload(app, &u, &d, "mains", &flow_copy).await?;
    Ok(())
}

/// Demo applications: a researcher's approved grant on the personal table (two-step approval,
/// masked columns, a row scope and a daily quota, with a reported result), and an enterprise's
/// application waiting in the health department's queue.
async fn applications(app: &App) -> anyhow::Result<()> {
    use crate::grants::{self, ApplicationInput, ReuseInput};
    use model::access::Mode;
    use model::application::{PurposeCategory, ResultKind};
    use model::filter::{Condition, Literal, Op};
    let user = |name: &'static str| async move { app.store.get_user_by_username(name).await };
    let fail = |what: &'static str| {
        move |e: crate::error::AppError| anyhow::anyhow!("demo {what}: {}", e.message)
    };
    let hash = app.store.latest_agreement().await?.sha256;
    let citizen = user("citizen").await?;
    let application = grants::apply(
        app,
        &citizen,
        ApplicationInput {
            dataset: "social-insurance-payers".into(),
            columns: ["姓名", "手机号", "参保类型", "月缴费基数", "所在区"]
                .map(String::from)
                .to_vec(),
            row_filter: vec![Condition {
                column: "所在区".into(),
                op: Op::Eq,
                value: Some(Literal::Str("西湖区".into())),
            }],
            modes: vec![Mode::Api, Mode::Download],
            duration_days: 180,
            daily_row_quota: Some(1000),
            purpose_category: PurposeCategory::Research,
            purpose: "研究西湖区社保缴费基数分布。Study of contribution bases in Xihu district."
                .into(),
            scenario:
                "高校课题组内部分析，不对外提供明细。Internal analysis by a university group."
                    .into(),
            on_behalf_of_organization: Some(false),
            accept_agreement: Some(hash.clone()),
        },
    )
    .await
    .map_err(fail("application"))?;
    grants::review(
        app,
        &user("hrss").await?,
        &application.id,
        approve("同意，限西湖区。"),
    )
    .await
    .map_err(fail("department review"))?;
    let application = grants::review(
        app,
        &user("admin").await?,
        &application.id,
        approve("复核同意。"),
    )
    .await
    .map_err(fail("authority review"))?;
    if let Some(grant) = &application.grant_id {
        grants::report(
            app,
            &citizen,
            grant,
            ReuseInput {
                kind: ResultKind::Report,
                title: "西湖区社保缴费基数分析（演示）".into(),
                description: "基于脱敏数据的分布分析。A distribution analysis on masked data."
                    .into(),
                url: None,
            },
        )
        .await
        .map_err(fail("result"))?;
        // The owning department accepts it; the citizen earns the result's points.
        let reported = grants::report(
            app,
            &citizen,
            grant,
            ReuseInput {
                kind: ResultKind::App,
                title: "社保缴费查询小程序（演示）".into(),
                description: "帮助居民查询缴费档次。Helps residents look up contribution bands."
                    .into(),
                url: None,
            },
        )
        .await
        .map_err(fail("result"))?;
        grants::accept_result(app, &user("hrss").await?, &reported.id)
            .await
            .map_err(fail("result acceptance"))?;
    }
    grants::apply(
        app,
        &user("enterprise").await?,
        ApplicationInput {
            dataset: "outpatient-stats".into(),
            columns: ["月份", "科室", "门诊人次"].map(String::from).to_vec(),
            row_filter: Vec::new(),
            modes: vec![Mode::Api],
            duration_days: 90,
            daily_row_quota: None,
            purpose_category: PurposeCategory::Commercial,
            purpose: "优化互联网医院排班。Scheduling for an online clinic.".into(),
            scenario: "排班预测模型训练。Training a scheduling model.".into(),
            on_behalf_of_organization: Some(true),
            accept_agreement: Some(hash),
        },
    )
    .await
    .map_err(fail("enterprise application"))?;
    Ok(())
}

/// A reviewer's approval without narrowing.
fn approve(note: &str) -> crate::grants::ReviewInput {
    crate::grants::ReviewInput {
        decision: crate::grants::ReviewDecision::Approve,
        columns: None,
        add_row_filter: Vec::new(),
        modes: None,
        duration_days: None,
        daily_row_quota: None,
        note: note.into(),
    }
}

/// Demo demands, so the demand board has every state: open and supported, overdue, accepted
/// with a plan, not accepted with a reason, fulfilled by a dataset, a theme for the authority,
/// and a duplicate merged into its original.
/// Three consultations: one open (with comments on articles), one closed with every comment
/// answered and the result published, and one closed whose answers are overdue.
async fn consultations(app: &App) -> anyhow::Result<()> {
    use crate::consultations::{self, AnswerInput, ArticleInput, CommentInput, ConsultationInput};
    use model::consultation::{Adoption, Audience, EnterpriseSize, Ownership, Stance};
    let user = |name: &'static str| async move { accounts::user_by_username(app, name).await };
    let fail = |what: &'static str| {
        move |e: crate::error::AppError| anyhow::anyhow!("demo consultation {what}: {}", e.message)
    };
    let (enterprise, citizen, admin, transport, health) = (
        user("enterprise").await?,
        user("citizen").await?,
        user("admin").await?,
        user("transport").await?,
        user("health").await?,
    );
    consultations::set_enterprise_profile(
        app,
        &admin,
        "xihu-tech",
        Some(Ownership::Private),
        Some(EnterpriseSize::Small),
        Some("软件和信息技术服务业".into()),
    )
    .await
    .map_err(fail("enterprise profile"))?;
    let article = |heading: &str, body: &str| ArticleInput {
        heading: heading.into(),
        body: body.into(),
    };
    let comment = |article: Option<i64>, stance: Stance, body: &str| CommentInput {
        article,
        stance,
        body: body.into(),
    };
    let now = now_ms();
    let day = model::calendar::DAY_MS;

    // Open: the public data opening rules of the transport bureau.
    let open = consultations::publish(app, &transport, ConsultationInput {
        title: "交通运输公共数据开放管理细则（征求意见稿）".into(),
        summary: "明确交通运输领域公共数据的开放范围、开放方式和安全要求，现公开征求意见。Rules for opening transport data, open for comment.".into(),
        audience: Some(Audience::Everyone),
        opens: None,
        closes: None,
        short_reason: None,
        articles: vec![
            article("目的依据", "为规范交通运输公共数据开放，促进数据有序流通和开发利用，制定本细则。"),
            article("开放范围", "公交线路、站点、客流统计等不涉及个人信息的数据，应当无条件开放。"),
            article("有条件开放", "涉及企业经营信息的数据，经申请审核后按约定条件开放。"),
        ],
    }).await.map_err(fail("open"))?;
    let note = app.data_dir().join("staging").join("demo-note.pdf");
    std::fs::create_dir_all(note.parent().expect("a directory"))?;
    std::fs::write(
        &note,
        demo_pdf("Explanatory note on the draft rules for opening transport data"),
    )?;
    let attached =
        consultations::add_attachment(app, &transport, &open.id, "起草说明.pdf", &note).await;
    let _ = std::fs::remove_file(&note);
    attached.map_err(fail("attachment"))?;
    let c1 = consultations::comment(
        app,
        &enterprise,
        &open.id,
        comment(
            Some(2),
            Stance::Support,
            "建议将公交车辆实时位置纳入无条件开放范围，便于开发候车提醒服务。",
        ),
    )
    .await
    .map_err(fail("comment"))?;
    consultations::comment(
        app,
        &citizen,
        &open.id,
        comment(
            Some(3),
            Stance::Neutral,
            "建议明确审核时限，例如十五个工作日内答复。",
        ),
    )
    .await
    .map_err(fail("comment"))?;
    consultations::comment(
        app,
        &citizen,
        &open.id,
        comment(None, Stance::Support, "支持出台细则，希望尽快实施。"),
    )
    .await
    .map_err(fail("comment"))?;
    consultations::support_comment(app, &citizen, &c1.id)
        .await
        .map_err(fail("support"))?;

    // Closed and answered, the result published: comments made while it was open, 50 days ago.
    let then = now - 50 * day;
    let done = consultations::publish_at(app, &health, ConsultationInput {
        title: "医疗卫生数据共享指引（征求意见稿）".into(),
        summary: "规范医疗卫生机构之间的数据共享，保护患者个人信息。Guidelines for sharing health data.".into(),
        audience: Some(Audience::Everyone),
        opens: None,
        closes: None,
        short_reason: None,
        articles: vec![
            article("适用范围", "本指引适用于本市各级医疗卫生机构之间的数据共享。"),
            article("个人信息保护", "共享数据涉及个人信息的，应当脱敏处理。"),
        ],
    }, then).await.map_err(fail("closed"))?;
    let a = consultations::comment_at(
        app,
        &enterprise,
        &done.id,
        comment(
            Some(1),
            Stance::Support,
            "建议将民营医疗机构一并纳入适用范围。",
        ),
        then + day,
    )
    .await
    .map_err(fail("comment"))?;
    let b = consultations::comment_at(
        app,
        &citizen,
        &done.id,
        comment(
            Some(2),
            Stance::Oppose,
            "仅脱敏不足以保护隐私，建议增加访问审计。",
        ),
        then + 2 * day,
    )
    .await
    .map_err(fail("comment"))?;
    consultations::answer_comment(
        app,
        &health,
        &a.id,
        AnswerInput {
            adoption: Adoption::Adopted,
            text: "已将民营医疗机构纳入第一条。".into(),
        },
    )
    .await
    .map_err(fail("answer"))?;
    consultations::answer_comment(
        app,
        &health,
        &b.id,
        AnswerInput {
            adoption: Adoption::Partly,
            text: "已增加访问留痕要求，脱敏仍为基本要求。".into(),
        },
    )
    .await
    .map_err(fail("answer"))?;
    consultations::publish_result(
        app,
        &health,
        &done.id,
        "共收到意见2条，采纳1条，部分采纳1条，指引已据此修改。",
    )
    .await
    .map_err(fail("result"))?;

    // Closed 40 days ago, answers overdue: the enterprise's comment waits for the transport
    // bureau.
    let then = now - 70 * day;
    let waiting = consultations::publish_at(app, &transport, ConsultationInput {
        title: "网络预约出租汽车数据报送规定（征求意见稿）".into(),
        summary: "规定网约车平台向主管部门报送运营数据的范围和频次。Which ride-hailing data platforms report.".into(),
        audience: Some(Audience::Enterprises),
        opens: None,
        closes: None,
        short_reason: None,
        articles: vec![
            article("报送范围", "平台应当报送订单、车辆和驾驶员的运营数据。"),
            article("报送频次", "订单数据应当实时报送。"),
        ],
    }, then).await.map_err(fail("waiting"))?;
    consultations::comment_at(
        app,
        &enterprise,
        &waiting.id,
        comment(
            Some(2),
            Stance::Oppose,
            "实时报送成本较高，建议改为按日汇总报送。",
        ),
        then + day,
    )
    .await
    .map_err(fail("comment"))?;
    Ok(())
}

/// A one-page PDF with one line of text, made here so the demo ships no binary file.
fn demo_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 14 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        pdf.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

async fn demands(app: &App) -> anyhow::Result<()> {
    use crate::demands::{self, AnswerDecision, AnswerInput, DemandInput, FulfilInput};
    use model::application::PurposeCategory;
    use model::demand::RejectionReason;
    let user = |name: &'static str| async move { accounts::user_by_username(app, name).await };
    let fail = |what: &'static str| {
        move |e: crate::error::AppError| anyhow::anyhow!("demo demand {what}: {}", e.message)
    };
    let input = |title: &str,
                 description: &str,
                 fields: &[&str],
                 purpose: PurposeCategory,
                 department: Option<&str>,
                 theme: Option<&str>| DemandInput {
        title: title.into(),
        description: description.into(),
        fields: fields.iter().map(|f| f.to_string()).collect(),
        purpose_category: purpose,
        department: department.map(Into::into),
        theme: theme.map(Into::into),
        extends: None,
    };
    let (enterprise, citizen, admin) = (
        user("enterprise").await?,
        user("citizen").await?,
        user("admin").await?,
    );
    let now = now_ms();
    let day = model::calendar::DAY_MS;
    let date = |days: i64| {
        let d = time::OffsetDateTime::from_unix_timestamp((now + days * day) / 1000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC))
            .date();
        date_text(d)
    };

    // Open, supported and discussed.
    let realtime = demands::file(app, &enterprise, input(
        "公交车辆实时到站数据",
        "用于开发面向市民的候车提醒小程序，希望按线路提供车辆实时位置与预计到站时间。For a bus-arrival app for residents.",
        &["线路", "车辆编号", "经度", "纬度", "预计到站时间"],
        PurposeCategory::Commercial,
        Some("transport"),
        None,
    )).await.map_err(fail("realtime"))?;
    demands::support(app, &citizen, &realtime.id)
        .await
        .map_err(fail("support"))?;
    demands::support(app, &admin, &realtime.id)
        .await
        .map_err(fail("support"))?;
    demands::comment(
        app,
        &citizen,
        &realtime.id,
        "非常需要，早晚高峰等车很久。Much needed at rush hour.",
    )
    .await
    .map_err(fail("comment"))?;
    // A duplicate, merged into it by the authority: its supports move over once per person.
    let duplicate = demands::file(
        app,
        &citizen,
        input(
            "公交到站时间数据",
            "希望开放公交车预计到站时间。Estimated arrival times of buses.",
            &["线路", "预计到站时间"],
            PurposeCategory::PublicService,
            Some("transport"),
            None,
        ),
    )
    .await
    .map_err(fail("duplicate"))?;
    demands::merge(app, &admin, &duplicate.id, &realtime.id)
        .await
        .map_err(fail("merge"))?;

    // Overdue: filed twenty days ago and still unanswered.
    demands::file_at(app, &citizen, input(
        "重点排污单位在线监测数据",
        "希望公开重点排污单位废水、废气在线监测的小时数据，便于公众监督。Hourly emission monitoring of key polluters.",
        &["单位名称", "监测点", "污染物", "浓度", "监测时间"],
        PurposeCategory::PublicService,
        Some("ecology"),
        None,
    ), now - 20 * day).await.map_err(fail("overdue"))?;

    // Accepted with a planned date.
    let clinics = demands::file(app, &citizen, input(
        "各医院分科室门诊人次",
        "现有门诊统计只到医院，希望细化到科室，便于就医选择。Outpatient visits by department of each hospital.",
        &["医院", "科室", "月份", "门诊人次"],
        PurposeCategory::PublicService,
        Some("health"),
        None,
    )).await.map_err(fail("clinics"))?;
    demands::answer(
        app,
        &user("health").await?,
        &clinics.id,
        AnswerInput {
            decision: AnswerDecision::Accept,
            planned_date: Some(date(30)),
            reason: None,
            text: "已纳入下月开放计划，届时在门诊服务统计中增加科室维度。Planned for next month."
                .into(),
        },
    )
    .await
    .map_err(fail("accept"))?;

    // Not accepted, with the reason in public.
    let payroll = demands::file(
        app,
        &enterprise,
        input(
            "个人社保缴费明细",
            "用于员工背景核验，希望按身份证查询缴费记录。For employee background checks.",
            &["姓名", "缴费月份", "缴费基数"],
            PurposeCategory::Commercial,
            Some("hrss"),
            None,
        ),
    )
    .await
    .map_err(fail("payroll"))?;
    demands::answer(app, &user("hrss").await?, &payroll.id, AnswerInput {
        decision: AnswerDecision::Reject,
        planned_date: None,
        reason: Some(RejectionReason::SecurityOrLaw),
        text: "个人社保缴费信息属于个人信息，依法不予向企业开放；员工本人可通过社保服务平台自行查询。Personal data: not opened to enterprises by law.".into(),
    }).await.map_err(fail("reject"))?;

    // Fulfilled by a dataset.
    let stops = demands::file(
        app,
        &citizen,
        input(
            "公交站点位置",
            "希望开放全市公交站点的经纬度与所在区。Locations of bus stops.",
            &["站点名称", "经度", "纬度", "所在区"],
            PurposeCategory::Research,
            Some("transport"),
            None,
        ),
    )
    .await
    .map_err(fail("stops"))?;
    let transport = user("transport").await?;
    demands::answer(
        app,
        &transport,
        &stops.id,
        AnswerInput {
            decision: AnswerDecision::Accept,
            planned_date: Some(date(0)),
            reason: None,
            text: "已开放，见公交站点信息数据集。Opened as the bus stops dataset.".into(),
        },
    )
    .await
    .map_err(fail("accept stops"))?;
    demands::fulfil(
        app,
        &transport,
        &stops.id,
        FulfilInput {
            dataset: Some("bus-stops".into()),
            grant: None,
        },
    )
    .await
    .map_err(fail("fulfil"))?;

    // A theme no one department holds, for the authority.
    demands::file(
        app,
        &enterprise,
        input(
            "低空飞行航线与起降点数据",
            "用于无人机物流航线规划。Drone logistics route planning.",
            &["起降点", "经度", "纬度", "限飞高度"],
            PurposeCategory::Commercial,
            None,
            Some("低空经济"),
        ),
    )
    .await
    .map_err(fail("theme"))?;
    Ok(())
}

/// Feedback on public services: four categories, items in every state, with photos, a masked
/// mobile number, a hidden description, an overdue item, and a rating.
async fn feedback(app: &App) -> anyhow::Result<()> {
    use crate::feedback::{self, ActionInput, FeedbackInput, ServiceInput};
    use model::feedback::{Attribute, AttributeType, AttributeValue, Contact, FeedbackEvent};
    let user = |name: &'static str| async move { accounts::user_by_username(app, name).await };
    let fail = |what: &'static str| {
        move |e: crate::error::AppError| anyhow::anyhow!("demo feedback {what}: {}", e.message)
    };
    let (admin, citizen, transport, ecology, health) = (
        user("admin").await?,
        user("citizen").await?,
        user("transport").await?,
        user("ecology").await?,
        user("health").await?,
    );
    let list = |code: &str, description: &str, keys: &[(&str, &str)]| Attribute {
        code: code.into(),
        datatype: AttributeType::SingleValueList,
        required: true,
        description: description.into(),
        datatype_description: String::new(),
        order: 1,
        values: keys
            .iter()
            .map(|(k, n)| AttributeValue {
                key: (*k).into(),
                name: (*n).into(),
            })
            .collect(),
    };
    let services = [
        (
            "road-damage",
            "道路破损",
            "Damaged road",
            "路面坑洞、裂缝、塌陷等",
            "道路交通",
            "transport",
            vec![list(
                "kind",
                "破损类型",
                &[
                    ("pothole", "坑洞"),
                    ("crack", "裂缝"),
                    ("subsidence", "塌陷"),
                ],
            )],
        ),
        (
            "bus-stop",
            "公交站台设施",
            "Bus stop facilities",
            "站牌、候车亭、电子站牌损坏或缺失",
            "道路交通",
            "transport",
            vec![],
        ),
        (
            "noise",
            "噪声扰民",
            "Noise",
            "施工、商业、交通等噪声",
            "生态环境",
            "ecology",
            vec![Attribute {
                code: "heard_at".into(),
                datatype: AttributeType::Datetime,
                required: false,
                description: "听到噪声的时间".into(),
                datatype_description: "YYYY-MM-DDTHH:MM".into(),
                order: 1,
                values: vec![],
            }],
        ),
        (
            "clinic-service",
            "医疗服务",
            "Medical services",
            "医疗机构的服务、收费和秩序问题",
            "卫生健康",
            "health",
            vec![],
        ),
    ];
    for (code, name, name_en, description, group, department, attributes) in services {
        feedback::save_service(
            app,
            &admin,
            ServiceInput {
                code: code.into(),
                name: name.into(),
                name_en: name_en.into(),
                description: description.into(),
                group: group.into(),
                keywords: vec![name.into()],
                attributes,
                department: department.into(),
                active: true,
            },
        )
        .await
        .map_err(fail("service"))?;
    }
    let now = now_ms();
    let day = model::calendar::DAY_MS;
    let input =
        |service: &str, description: &str, lat: f64, long: f64, address: &str| FeedbackInput {
            service_code: service.into(),
            description: description.into(),
            lat: Some(lat),
            long: Some(long),
            address: Some(address.into()),
            attributes: Default::default(),
            contact: None,
        };
    let with_kind = |mut i: FeedbackInput, kind: &str| {
        i.attributes.insert("kind".into(), vec![kind.into()]);
        i
    };
    let step = |action: FeedbackEvent, note: &str| ActionInput {
        action,
        note: note.into(),
        expected_date: None,
        department: None,
    };
    // Submitted today with a photo, by a signed-in citizen.
    feedback::submit(
        app,
        Some(&citizen),
        with_kind(
            input(
                "road-damage",
                "文三路与学院路交叉口东侧有一个较深的坑洞，雨天积水，电动车容易摔倒。",
                30.2799,
                120.1290,
                "杭州市西湖区文三路学院路口",
            ),
            "pothole",
        ),
        vec![demo_photo(0)],
        None,
    )
    .await
    .map_err(fail("new"))?;
    // Overdue: submitted ten days ago, still without an answer.
    feedback::submit_at(
        app,
        None,
        input(
            "bus-stop",
            "古荡站候车亭顶棚破损，下雨时无法遮雨。",
            30.2850,
            120.1190,
            "杭州市西湖区古荡公交站",
        ),
        vec![],
        None,
        now - 10 * day,
    )
    .await
    .map_err(fail("overdue"))?;
    // Accepted with an expected date; the mobile number in the text is masked in public, and the
    // contact is private.
    let accepted = feedback::submit(
        app,
        None,
        FeedbackInput {
            contact: Some(Contact {
                name: Some("王女士".into()),
                phone: Some("13912345678".into()),
                email: None,
            }),
            ..input(
                "noise",
                "夜间十一点后工地仍在施工，噪声很大。如需了解情况请拨打13912345678。",
                30.2700,
                120.1500,
                "杭州市西湖区天目山路 88 号附近工地",
            )
        },
        vec![demo_photo(1)],
        None,
    )
    .await
    .map_err(fail("accepted"))?;
    let expected = time::OffsetDateTime::from_unix_timestamp((now + 7 * day) / 1000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC))
        .date();
    feedback::act(
        app,
        &ecology,
        &accepted.feedback.feedback.id,
        ActionInput {
            expected_date: Some(date_text(expected)),
            ..step(FeedbackEvent::Accept, "已受理，将安排执法人员夜间巡查。")
        },
    )
    .await
    .map_err(fail("accept"))?;
    // In progress.
    let working = feedback::submit(
        app,
        Some(&citizen),
        with_kind(
            input(
                "road-damage",
                "保俶路人行道地砖大面积松动。",
                30.2680,
                120.1430,
                "杭州市西湖区保俶路",
            ),
            "crack",
        ),
        vec![],
        None,
    )
    .await
    .map_err(fail("working"))?;
    let id = working.feedback.feedback.id.clone();
    feedback::act(
        app,
        &transport,
        &id,
        ActionInput {
            expected_date: Some(date_text(expected)),
            ..step(FeedbackEvent::Accept, "已受理。")
        },
    )
    .await
    .map_err(fail("accept"))?;
    feedback::act(
        app,
        &transport,
        &id,
        step(FeedbackEvent::Start, "养护单位已进场施工。"),
    )
    .await
    .map_err(fail("start"))?;
    // Resolved and rated by the submitter.
    let fixed = feedback::submit(
        app,
        Some(&citizen),
        input(
            "bus-stop",
            "黄龙体育中心站电子站牌不显示。",
            30.2690,
            120.1300,
            "杭州市西湖区黄龙体育中心公交站",
        ),
        vec![demo_photo(2)],
        None,
    )
    .await
    .map_err(fail("fixed"))?;
    let id = fixed.feedback.feedback.id.clone();
    feedback::act(
        app,
        &transport,
        &id,
        ActionInput {
            expected_date: Some(date_text(expected)),
            ..step(FeedbackEvent::Accept, "已受理。")
        },
    )
    .await
    .map_err(fail("accept"))?;
    feedback::act(
        app,
        &transport,
        &id,
        step(FeedbackEvent::Resolve, "已更换电子站牌电源模块，恢复显示。"),
    )
    .await
    .map_err(fail("resolve"))?;
    feedback::rate(app, feedback::Submitter::Account(&citizen), &id, 5)
        .await
        .map_err(fail("rate"))?;
    // Rejected with a reason, and one with its description hidden.
    let elsewhere = feedback::submit(
        app,
        None,
        input(
            "clinic-service",
            "希望医院停车场增加车位。",
            30.2600,
            120.1700,
            "杭州市上城区某医院",
        ),
        vec![],
        None,
    )
    .await
    .map_err(fail("rejected"))?;
    feedback::act(
        app,
        &health,
        &elsewhere.feedback.feedback.id,
        step(
            FeedbackEvent::Reject,
            "停车场由医院自行管理，已转告医院研究；本渠道不予受理。",
        ),
    )
    .await
    .map_err(fail("reject"))?;
    let hidden = feedback::submit(
        app,
        None,
        input(
            "clinic-service",
            "某医生姓名及其家庭住址等内容（演示：被隐藏的描述）。",
            30.2610,
            120.1710,
            "杭州市上城区",
        ),
        vec![],
        None,
    )
    .await
    .map_err(fail("hidden"))?;
    feedback::act(
        app,
        &health,
        &hidden.feedback.feedback.id,
        step(FeedbackEvent::Hide, "描述含有他人的个人信息，已隐藏。"),
    )
    .await
    .map_err(fail("hide"))?;
    Ok(())
}

/// Demo points: the citizen's feedback and the demands above already earned points; here the
/// authority tunes a rule and stocks three rewards (one out of stock, one not yet open), the
/// citizen and the enterprise join the leaderboard, and the citizen redeems one reward.
async fn points(app: &App) -> anyhow::Result<()> {
    use crate::points::{self, RewardInput};
    let fail = |what: &'static str| {
        move |e: crate::error::AppError| anyhow::anyhow!("demo {what}: {}", e.message)
    };
    let user = |name: &'static str| async move { accounts::user_by_username(app, name).await };
    let admin = user("admin").await.map_err(fail("admin"))?;
    let citizen = user("citizen").await.map_err(fail("citizen"))?;
    let enterprise = user("enterprise").await.map_err(fail("enterprise"))?;
    let rated = model::points::RuleConfig {
        points: 3,
        daily_cap: Some(9),
        enabled: true,
    };
    points::set_rule(app, &admin, "feedback_rated", rated)
        .await
        .map_err(fail("rule"))?;
    let now = now_ms();
    let day = model::calendar::DAY_MS;
    let reward =
        |name: &str, name_en: &str, description: &str, cost, stock, per_user| RewardInput {
            name: name.into(),
            name_en: name_en.into(),
            description: description.into(),
            cost,
            stock,
            per_user,
            starts_at: Some(now - day),
            ends_at: now + 180 * day,
        };
    let notebook = points::save_reward(
        app,
        &admin,
        None,
        reward(
            "共数定制笔记本",
            "Gongshu notebook",
            "凭兑换码到市数据资源管理局服务窗口领取。",
            10,
            100,
            2,
        ),
    )
    .await
    .map_err(fail("reward"))?;
    points::save_reward(
        app,
        &admin,
        None,
        reward(
            "公交卡充值 20 元",
            "Bus card top-up, 20 yuan",
            "凭兑换码在公交卡服务网点充值。",
            15,
            10,
            1,
        ),
    )
    .await
    .map_err(fail("reward"))?;
    points::save_reward(
        app,
        &admin,
        None,
        reward(
            "数据开放创新大赛观赛票",
            "Open data contest ticket",
            "已兑完，下批补货后开放。",
            50,
            0,
            1,
        ),
    )
    .await
    .map_err(fail("reward"))?;
    points::save_reward(
        app,
        &admin,
        None,
        RewardInput {
            starts_at: Some(now + 30 * day),
            ..reward(
                "城市书房年卡",
                "City library annual pass",
                "下月开放兑换。",
                40,
                20,
                1,
            )
        },
    )
    .await
    .map_err(fail("reward"))?;
    points::set_leaderboard(app, &citizen, true, "热心市民小王")
        .await
        .map_err(fail("leaderboard"))?;
    points::set_leaderboard(app, &enterprise, true, "西湖数智")
        .await
        .map_err(fail("leaderboard"))?;
    points::redeem(app, &citizen, &notebook.reward.id)
        .await
        .map_err(fail("redeem"))?;
    activity(app, &admin, &citizen).await
}

/// A demo activity: a month of open data with tasks done by feedback, comments and demands,
/// and a quiz on the regulation; the citizen has passed the quiz.
async fn activity(app: &App, admin: &store::User, citizen: &store::User) -> anyhow::Result<()> {
    use crate::activities::{self, ActivityInput, TaskInput};
    use model::points::{Question, Quiz, TaskKind};
    let fail = |what: &'static str| {
        move |e: crate::error::AppError| anyhow::anyhow!("demo activity {what}: {}", e.message)
    };
    let now = now_ms();
    let day = model::calendar::DAY_MS;
    let task = |kind, target: &str, title: &str, points| TaskInput {
        kind,
        target: target.into(),
        title: title.into(),
        points,
        quiz: None,
    };
    let question = |text: &str, options: &[&str], answer| Question {
        text: text.into(),
        options: options.iter().map(|o| o.to_string()).collect(),
        answer,
    };
    let quiz = Quiz {
        brief: "《公共数据开放管理办法》要点：无条件开放数据任何人可免费获取和使用；有条件开放数据须申请并按约定用途使用；涉及个人信息的数据不予开放或脱敏后开放。".into(),
        questions: vec![
            question("无条件开放的数据，谁可以获取？", &["任何人", "仅政府部门", "仅企业"], 0),
            question("有条件开放的数据怎样使用？", &["随意转售", "申请获批后按约定用途使用", "无需申请"], 1),
            question("含个人信息的数据如何处理？", &["直接公开", "不予开放或脱敏后开放"], 1),
        ],
        pass: 0.6,
        max_attempts: 3,
    };
    let created = activities::create(
        app,
        admin,
        ActivityInput {
            title: "公共数据开放宣传月".into(),
            title_en: "Open data month".into(),
            description: "本月参与诉求反馈、意见征集、数据需求或完成政策答题，即可获得额外积分。"
                .into(),
            starts_at: Some(now - 3 * day),
            ends_at: now + 27 * day,
            tasks: vec![
                task(TaskKind::Feedback, "road-damage", "反映一处道路破损", 5),
                task(TaskKind::Comment, "", "就任一政策草案发表意见", 5),
                task(TaskKind::Demand, "", "提出一项数据需求", 5),
                TaskInput {
                    quiz: Some(quiz),
                    ..task(TaskKind::Quiz, "", "学习《公共数据开放管理办法》并答题", 10)
                },
            ],
        },
    )
    .await
    .map_err(fail("create"))?;
    let quiz_task = &created.tasks[3].task.id;
    activities::attempt(
        app,
        citizen,
        &created.activity.id,
        quiz_task,
        vec![Some(0), Some(1), Some(1)],
    )
    .await
    .map_err(fail("quiz"))?;
    Ok(())
}

/// A small photo for the demo: a JPEG with a gradient, distinct per `seed`.
fn demo_photo(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(480, 320, |x, y| {
        image::Rgb([
            (x / 2) as u8 ^ seed.wrapping_mul(70),
            (y * 3 / 4) as u8,
            150u8.wrapping_add(seed.wrapping_mul(40)),
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    // Encoding an in-memory image to JPEG cannot fail short of running out of memory.
    let _ = image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Jpeg);
    out.into_inner()
}

/// `YYYY-MM-DD`.
fn date_text(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The clean room (C6): the human-resources department's insured wages and an enterprise's
/// roster of flexible workers share generated citizen IDs; both owners declare a clean-room
/// policy, and a researcher's clean room over the two is approved by each owner and the
/// authority, and has answered one query, so its page has a working example.
async fn cleanroom(app: &App, dir: &Path, g: &mut Gen) -> anyhow::Result<()> {
    use crate::cleanroom::{self, CleanRoomInput, PartInput};
    use crate::grants;
    use model::application::PurposeCategory;
    use model::cleanroom::{Bounds, Policy};
    let fail = |what: &'static str| {
        move |e: crate::error::AppError| anyhow::anyhow!("demo {what}: {}", e.message)
    };
    // 1,200 insured people in five districts (and five people in a sixth, a group under k),
    // 800 of whom work through the enterprise, in four industries.
    let districts = ["上城区", "拱墅区", "西湖区", "滨江区", "萧山区"];
    let industries = ["信息技术", "物流运输", "批发零售", "住宿餐饮"];
    let mut wages = String::from("身份证号,所在区,参保月数,月缴费工资\n");
    let mut roster = String::from("身份证号,行业,岗位类别,月薪\n");
    for i in 0..1205 {
        let id = citizen_id(g);
        let district = if i >= 1200 {
            "淳安县"
        } else {
            g.pick(&districts)
        };
        let _ = writeln!(
            wages,
            "{id},{district},{},{}",
            1 + g.below(120),
            4000 + g.below(26000)
        );
        if i % 3 != 0 || i >= 1200 {
            let _ = writeln!(
                roster,
                "{id},{},{},{}",
                g.pick(&industries),
                g.pick(&["骑手", "客服", "开发", "仓储", "店员"]),
                3500 + g.below(20000)
            );
        }
    }
    for (name, user, title, description, domain, file, text, resource, measure) in [
        (
            "employment-insurance-wages",
            "hrss",
            "就业参保缴费工资（融合计算）",
            "参保人员的所在区、参保月数与月缴费工资，仅供融合计算（可用不可见）。Insured wages by district, for the clean room only.",
            Domain::Personal,
            "insured_wages.csv",
            &wages,
            "wages",
            "月缴费工资",
        ),
        (
            "flexible-workers",
            "enterprise",
            "灵活用工人员名册（融合计算）",
            "平台灵活用工人员的行业、岗位与月薪，仅供融合计算（可用不可见）。Flexible workers by industry, for the clean room only.",
            Domain::Enterprise,
            "flexible_workers.csv",
            &roster,
            "roster",
            "月薪",
        ),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, text)?;
        let (u, d) = dataset(
            app,
            Spec {
                name,
                org_user: user,
                title,
                description,
                themes: &["社会保障"],
                tags: &["融合计算", "就业"],
                frequency: "monthly",
                domain,
                opening: OpeningType::Conditional,
                importance: Importance::Ordinary,
            },
        )
        .await?;
        upload(app, &u, &d, resource, &path).await?;
        let r = app
            .store
            .list_resources(&d.id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("demo {name} has no resource"))?;
        catalog::set_column_grade(app, &u, &d, &r, measure, Grade::L3, "", now_ms())
            .await
            .map_err(fail("clean-room grade"))?;
        let mut policy = Policy::for_entity("身份证号");
        policy.join_keys = vec!["身份证号".into()];
        policy.bounds = vec![Bounds {
            column: measure.into(),
            lower: 0.0,
            upper: 50_000.0,
        }];
        cleanroom::set_policy(app, &u, &d, policy)
            .await
            .map_err(fail("clean-room policy"))?;
    }
    let research = app.store.get_user_by_username("research").await?;
    let hash = app.store.latest_agreement().await?.sha256;
    let room = cleanroom::apply(
        app,
        &research,
        CleanRoomInput {
            title: "灵活就业人员收入与参保研究".into(),
            datasets: vec![
                PartInput {
                    dataset: "employment-insurance-wages".into(),
                    columns: ["身份证号", "所在区", "参保月数", "月缴费工资"]
                        .map(String::from)
                        .to_vec(),
                },
                PartInput {
                    dataset: "flexible-workers".into(),
                    columns: ["身份证号", "行业", "月薪"].map(String::from).to_vec(),
                },
            ],
            purpose_category: PurposeCategory::Research,
            purpose: "按区和行业研究灵活就业人员的收入与参保情况。Income and insurance of flexible workers by district and industry."
                .into(),
            scenario: "只取聚合结果，不接触任何个人明细。Aggregates only; no individual records."
                .into(),
            duration_days: 180,
            epsilon_budget: None,
            on_behalf_of_organization: Some(false),
            accept_agreement: Some(hash),
        },
    )
    .await
    .map_err(fail("clean room"))?;
    let admin = app.store.get_user_by_username("admin").await?;
    let review = |room: cleanroom::CleanRoomView, owners: &'static [&'static str]| {
        let admin = admin.clone();
        async move {
            for (part, owner) in room.parts.iter().zip(owners) {
                let Some(application_id) = part.application_id.as_deref() else {
                    continue;
                };
                let owner = app.store.get_user_by_username(owner).await?;
                let a = grants::review(app, &owner, application_id, approve("同意融合计算。"))
                    .await
                    .map_err(fail("clean-room review"))?;
                if a.status != model::application::ApplicationStatus::Approved {
                    grants::review(app, &admin, application_id, approve("复核同意。"))
                        .await
                        .map_err(fail("clean-room authority review"))?;
                }
            }
            anyhow::Ok(())
        }
    };
    review(room.clone(), &["hrss", "enterprise"]).await?;
    // The enterprise fuses its own workers with the bureau's insurance records: its own part
    // needs no application, the bureau's does.
    let enterprise = app.store.get_user_by_username("enterprise").await?;
    let own = cleanroom::apply(
        app,
        &enterprise,
        CleanRoomInput {
            title: "本企业灵活就业人员的参保情况".into(),
            datasets: vec![
                PartInput {
                    dataset: "flexible-workers".into(),
                    columns: Vec::new(),
                },
                PartInput {
                    dataset: "employment-insurance-wages".into(),
                    columns: ["身份证号", "所在区", "参保月数"].map(String::from).to_vec(),
                },
            ],
            purpose_category: PurposeCategory::Research,
            purpose: "了解本企业灵活就业人员在各区的参保月数。Insurance months of our flexible workers by district."
                .into(),
            scenario: "只取按区和行业的聚合。Aggregates by district and industry only.".into(),
            duration_days: 90,
            epsilon_budget: None,
            on_behalf_of_organization: Some(true),
            accept_agreement: Some(app.store.latest_agreement().await?.sha256),
        },
    )
    .await
    .map_err(fail("own clean room"))?;
    review(own, &["enterprise", "hrss"]).await?;
    cleanroom::query(
        app,
        crate::dataservice::Asker {
            user: Some(&research),
            client: None,
            run_on: Default::default(),
        },
        &room.id,
        EXAMPLE_CLEANROOM_SQL,
        None,
    )
    .await
    .map_err(fail("clean-room query"))?;
    Ok(())
}

/// The demo's example clean-room query: average pay by district and industry.
pub const EXAMPLE_CLEANROOM_SQL: &str = "SELECT w.所在区, f.行业, COUNT(*) AS 人数, AVG(f.月薪) AS 平均月薪, AVG(w.参保月数) AS 平均参保月数\nFROM employment_insurance_wages w\nJOIN flexible_workers f ON w.身份证号 = f.身份证号\nGROUP BY w.所在区, f.行业\nORDER BY w.所在区, f.行业";
