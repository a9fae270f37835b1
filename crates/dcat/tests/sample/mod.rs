//! A catalog like the demo's: departments and an enterprise, the three opening types, CSV, XLSX
//! and Parquet files, and text that needs escaping.
//!
//! A dataset's IRI names the dataset (`…/datasets/{slug}#dataset`), not its page
//! (`…/datasets/{slug}`), so that the page is not also typed as a dataset.

use dcat::{Access, Agent, AgentKind, Catalog, Column, Dataset, Distribution};

const BASE: &str = "https://data.example.gov.cn";
/// 2024-03-01T00:00:00Z.
const T0: i64 = 1_709_251_200_000;
const DAY: i64 = 86_400_000;

fn department(slug: &str, name: &str) -> Agent {
    Agent {
        iri: format!("{BASE}/organizations/{slug}"),
        name: name.into(),
        kind: AgentKind::Department,
        homepage: Some(format!("https://{slug}.example.gov.cn/")),
    }
}

fn csv(dataset: &str, version: u32) -> Distribution {
    Distribution {
        iri: format!("{BASE}/datasets/{dataset}/resources/{dataset}-csv"),
        title: format!("{dataset}.csv"),
        access_url: format!("{BASE}/datasets/{dataset}"),
        download_url: Some(format!(
            "{BASE}/api/v1/datasets/{dataset}/resources/{dataset}-csv/download?v={version}"
        )),
        media_type: Some("text/csv".into()),
        format: Some("CSV".into()),
        byte_size: Some(18_432),
        modified: Some(T0 + 10 * DAY),
        checksum_sha256: Some(
            "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08".into(),
        ),
    }
}

/// The sample catalog.
pub fn catalog() -> Catalog {
    let transport = department("jtj", "杭州市交通运输局");
    let health = department("wjw", "杭州市卫生健康委员会");
    let authority = Agent {
        iri: format!("{BASE}/organizations/sjj"),
        name: "杭州市数据资源管理局".into(),
        kind: AgentKind::Authority,
        homepage: Some("https://sjj.example.gov.cn/".into()),
    };
    let enterprise = Agent {
        iri: format!("{BASE}/organizations/91330100MA2XXXXX0X"),
        name: "杭州某某出行科技有限公司".into(),
        kind: AgentKind::Enterprise,
        homepage: None,
    };
    let bus = Dataset {
        iri: format!("{BASE}/datasets/bus-ridership#dataset"),
        identifier: "bus-ridership".into(),
        title: "公交线路客流量".into(),
        description:
            "按线路、按日统计的公交客流量。\n数据来源：\"一卡通\"刷卡记录 \\ 扫码乘车记录。".into(),
        keywords: vec!["公交".into(), "客流".into(), "bus".into()],
        themes: vec!["交通出行".into()],
        publisher: transport.clone(),
        contact_email: Some("opendata@jtj.example.gov.cn".into()),
        contact_name: Some("数据管理科".into()),
        issued: T0,
        modified: T0 + 30 * DAY,
        frequency: Some("每日".into()),
        landing_page: format!("{BASE}/datasets/bus-ridership"),
        access: Access::Unconditional,
        grade: "L1".into(),
        domain: "government".into(),
        license: Some("CC-BY-4.0".into()),
        spatial: Some("杭州市".into()),
        temporal: Some((Some("2023-01-01".into()), Some("2024-02-29".into()))),
        quality_score: Some(91.25),
        distributions: vec![
            csv("bus-ridership", 3),
            Distribution {
                iri: format!("{BASE}/datasets/bus-ridership/resources/bus-ridership-parquet"),
                title: "bus-ridership.parquet".into(),
                access_url: format!("{BASE}/datasets/bus-ridership"),
                download_url: Some(format!(
                    "{BASE}/api/v1/datasets/bus-ridership/resources/bus-ridership-parquet/download"
                )),
                media_type: None,
                format: Some("PARQUET".into()),
                byte_size: Some(9_876),
                modified: Some(T0 + 10 * DAY),
                checksum_sha256: None,
            },
        ],
    };
    let clinics = Dataset {
        iri: format!("{BASE}/datasets/clinic-visits#dataset"),
        identifier: "clinic-visits".into(),
        title: "社区卫生服务中心门诊量".into(),
        description: "各社区卫生服务中心按月门诊人次，含就诊人年龄段（已脱敏）。".into(),
        keywords: vec!["门诊".into(), "社区卫生".into()],
        themes: vec!["医疗卫生".into(), "社会保障".into()],
        publisher: health,
        contact_email: Some("mailto:data@wjw.example.gov.cn".into()),
        contact_name: None,
        issued: T0 - 365 * DAY,
        modified: T0,
        frequency: Some("monthly".into()),
        landing_page: format!("{BASE}/datasets/clinic-visits"),
        access: Access::Conditional,
        grade: "L3".into(),
        domain: "government".into(),
        license: Some("https://creativecommons.org/licenses/by-sa/4.0/".into()),
        spatial: Some("拱墅区".into()),
        temporal: Some((Some("2022".into()), Some("2023-12".into()))),
        quality_score: Some(91.25),
        distributions: vec![Distribution {
            iri: format!("{BASE}/datasets/clinic-visits/resources/clinic-visits-xlsx"),
            title: "门诊量 2023.xlsx".into(),
            access_url: format!("{BASE}/datasets/clinic-visits"),
            download_url: None,
            media_type: Some(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".into(),
            ),
            format: Some("XLSX".into()),
            byte_size: Some(120_000),
            modified: None,
            checksum_sha256: None,
        }],
    };
    let parking = Dataset {
        iri: format!("{BASE}/datasets/parking-occupancy#dataset"),
        identifier: "parking-occupancy".into(),
        title: "Parking occupancy <real-time> & \"smart\" parking".into(),
        description: "停车场实时泊位占用率，由企业贡献。".into(),
        keywords: vec![],
        themes: vec!["交通出行".into(), "智慧停车".into()],
        publisher: enterprise,
        contact_email: None,
        contact_name: None,
        issued: T0 + 5 * DAY,
        modified: T0 + 6 * DAY + 123,
        frequency: Some("实时".into()),
        landing_page: format!("{BASE}/datasets/parking-occupancy"),
        access: Access::Conditional,
        grade: "L2".into(),
        domain: "enterprise".into(),
        license: Some("杭州市公共数据开放授权协议".into()),
        spatial: None,
        temporal: Some((Some("2024-03-06T00:00:00+08:00".into()), None)),
        quality_score: Some(91.25),
        distributions: vec![csv("parking-occupancy", 1)],
    };
    let permits = Dataset {
        iri: format!("{BASE}/datasets/building-permits#dataset"),
        identifier: "building-permits".into(),
        title: "建设工程规划许可".into(),
        description: "建设工程规划许可证核发信息。".into(),
        keywords: vec!["规划".into()],
        themes: vec!["城市建设".into()],
        publisher: authority.clone(),
        contact_email: None,
        contact_name: Some("规划处".into()),
        issued: T0 - 30 * DAY,
        modified: T0 - 2 * DAY,
        frequency: Some("不定期".into()),
        landing_page: format!("{BASE}/datasets/building-permits"),
        access: Access::NotOpen,
        grade: "L4".into(),
        domain: "government".into(),
        license: None,
        spatial: Some("https://www.geonames.org/1808926".into()),
        temporal: None,
        quality_score: Some(91.25),
        distributions: vec![],
    };
    Catalog {
        iri: format!("{BASE}/catalog"),
        homepage: format!("{BASE}/"),
        title_zh: "杭州市公共数据开放平台".into(),
        title_en: "Hangzhou Public Data Open Platform".into(),
        description_zh: "杭州市政务数据与企业数据的开放目录。".into(),
        description_en: "The open catalog of Hangzhou's government and enterprise data.".into(),
        publisher: authority,
        modified: T0 + 30 * DAY,
        datasets: vec![bus, clinics, parking, permits],
    }
}

/// Columns of the bus ridership CSV, one of them masked.
pub fn bus_columns() -> Vec<Column> {
    let column = |name: &str, data_type: &str, grade: &str, masked: bool| Column {
        name: name.into(),
        data_type: data_type.into(),
        description: (name == "客流量").then(|| "当日刷卡进站人次".to_string()),
        grade: grade.into(),
        masked,
        key: matches!(name, "线路" | "日期"),
    };
    vec![
        column("线路", "Utf8", "L1", false),
        column("日期", "Date32", "L1", false),
        column("客流量", "Int64", "L1", false),
        column("平均满载率", "Float64", "L1", false),
        column("是否节假日", "Boolean", "L1", false),
        column("更新时间", "Timestamp(Microsecond, None)", "L1", false),
        column("司机工号", "Int64", "L3", true),
        column("备注", "Binary", "L1", false),
    ]
}
