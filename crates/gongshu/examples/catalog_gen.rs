//! Fills a data directory with a generated catalog for the search benchmark (bench/search):
//! N datasets with Chinese and English metadata, each with one resource and a version record
//! (no data file: search never reads one), and writes the same metadata as CSV for the
//! PostgreSQL peer. Deterministic.
//!
//! `cargo run --release -p gongshu --example catalog_gen -- DATA_DIR [N] [CSV]`

use model::classification::{Domain, Grade, Importance, OpeningType};
use model::role::OrgKind;
use std::io::Write;

const ORGS: [(&str, &str); 16] = [
    ("transport", "市交通运输局"),
    ("health", "市卫生健康委员会"),
    ("ecology", "市生态环境局"),
    ("education", "市教育局"),
    ("hrss", "市人力资源和社会保障局"),
    ("housing", "市住房和城乡建设局"),
    ("market", "市市场监督管理局"),
    ("police", "市公安局"),
    ("culture", "市文化广电旅游局"),
    ("water", "市水利局"),
    ("agri", "市农业农村局"),
    ("finance", "市财政局"),
    ("stats", "市统计局"),
    ("civil", "市民政局"),
    ("planning", "市规划和自然资源局"),
    ("emergency", "市应急管理局"),
];
const THEMES: [&str; 8] = [
    "经济建设",
    "交通出行",
    "医疗卫生",
    "教育文化",
    "生态环境",
    "社会保障",
    "城市建设",
    "公共安全",
];
const DISTRICTS: [&str; 13] = [
    "上城区",
    "拱墅区",
    "西湖区",
    "滨江区",
    "萧山区",
    "余杭区",
    "临平区",
    "钱塘区",
    "富阳区",
    "临安区",
    "桐庐县",
    "淳安县",
    "建德市",
];
const SUBJECTS: [(&str, &str); 24] = [
    ("公交站点", "bus stops"),
    ("空气质量", "air quality"),
    ("门诊服务", "outpatient services"),
    ("企业登记", "business registrations"),
    ("学校名录", "school directory"),
    ("停车场", "parking lots"),
    ("地铁客流", "metro ridership"),
    ("水质监测", "water quality monitoring"),
    ("养老机构", "elderly care homes"),
    ("医疗机构", "medical institutions"),
    ("道路拥堵指数", "road congestion index"),
    ("充电桩", "charging stations"),
    ("图书馆", "libraries"),
    ("旅游景点", "tourist attractions"),
    ("房屋交易", "housing transactions"),
    ("社保缴费", "social insurance contributions"),
    ("食品抽检", "food safety inspections"),
    ("噪声监测", "noise monitoring"),
    ("垃圾分类", "waste sorting"),
    ("农产品价格", "farm produce prices"),
    ("财政预算", "public budget"),
    ("人口统计", "population statistics"),
    ("应急避难场所", "emergency shelters"),
    ("公共厕所", "public toilets"),
];
const PERIODS: [(&str, &str); 4] = [
    ("月度", "monthly"),
    ("季度", "quarterly"),
    ("年度", "annual"),
    ("实时", "real-time"),
];
const FORMATS: [&str; 4] = ["csv", "xlsx", "json", "parquet"];

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(args.first().expect("DATA_DIR"));
    let n: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(100_000);
    let csv_path = args.get(2).cloned();
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}", dir.join("gongshu.db").display());
    let store = store::connect(&url).await?;
    let mut org_ids = Vec::new();
    for (name, title) in ORGS {
        let org = store
            .create_org(store::NewOrganization {
                name: name.into(),
                title: title.into(),
                kind: OrgKind::Department,
                uscc: None,
                description: String::new(),
                now: 1_700_000_000_000,
            })
            .await?;
        org_ids.push(org.id);
    }
    let user = store
        .create_user(store::NewUser {
            username: "generator".into(),
            display_name: "generator".into(),
            role: model::Role::Authority,
            org_id: None,
            password_hash: "!".into(),
            now: 1_700_000_000_000,
        })
        .await?;
    let mut csv = csv_path.map(|p| std::fs::File::create(p).unwrap());
    if let Some(f) = &mut csv {
        writeln!(f, "name,title,notes,organization,tags,themes,format")?;
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let started = std::time::Instant::now();
    for i in 0..n {
        let o = rng.below(ORGS.len());
        let (subject_zh, subject_en) = SUBJECTS[rng.below(SUBJECTS.len())];
        let district = DISTRICTS[rng.below(DISTRICTS.len())];
        let (period_zh, period_en) = PERIODS[rng.below(PERIODS.len())];
        let theme = THEMES[rng.below(THEMES.len())];
        let format = FORMATS[rng.below(FORMATS.len())];
        let title = format!("{district}{subject_zh}{period_zh}数据 {i}");
        let notes = format!(
            "{}发布的{district}{subject_zh}{period_zh}统计数据，涵盖{theme}领域。{period_en} {subject_en} data for {district}, published by the city.",
            ORGS[o].1
        );
        let tags = vec![
            subject_zh.to_string(),
            district.to_string(),
            subject_en.to_string(),
        ];
        let opening = [
            OpeningType::Unconditional,
            OpeningType::Conditional,
            OpeningType::NotOpen,
        ][rng.below(3)];
        let d = store
            .create_dataset(store::NewDataset {
                name: format!("ds-{i:06}"),
                org_id: org_ids[o].clone(),
                meta: store::DatasetMeta {
                    title: title.clone(),
                    description: notes.clone(),
                    themes: vec![theme.into()],
                    tags: tags.clone(),
                    update_frequency: period_en.into(),
                    license: "CC-BY-4.0".into(),
                    spatial: district.into(),
                    temporal: String::new(),
                    contact: String::new(),
                    domain: Domain::Government,
                    opening_type: opening,
                    importance: Importance::Ordinary,
                },
                grade: Grade::L1,
                now: 1_700_000_000_000 + i as i64 * 1000,
            })
            .await?;
        let r = store
            .create_resource(store::NewResource {
                dataset_id: d.id.clone(),
                name: "data".into(),
                description: String::new(),
                now: d.created_at,
            })
            .await?;
        store
            .publish_version(store::NewVersion {
                resource_id: r.id,
                path: format!("versions/generated/{i}.parquet"),
                source_format: format.into(),
                source_name: format!("{i}.{format}"),
                source_encoding: None,
                row_count: 100,
                byte_size: 4096,
                sha256: "0".repeat(64),
                columns: Vec::new(),
                created_by: user.id.clone(),
                now: d.created_at,
            })
            .await?;
        if let Some(f) = &mut csv {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                d.name.as_str(),
                &title,
                &notes,
                ORGS[o].0,
                &tags.join(" "),
                theme,
                format,
            ])?;
            f.write_all(&w.into_inner()?)?;
        }
        if (i + 1) % 10_000 == 0 {
            eprintln!(
                "{} datasets, {:.0} s",
                i + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!(
        "done: {n} datasets in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
