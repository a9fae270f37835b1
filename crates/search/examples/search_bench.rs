//! Throughput and latency of catalog searches shaped like CKAN's `package_search`.
//!
//! Builds an index of generated datasets with Chinese and English metadata (deterministic: the
//! same arguments give the same catalog and the same queries), then times a fixed mix of queries
//! on one thread and on two, and prints queries per second and latency percentiles.
//!
//! ```text
//! cargo run --release -p search --example search_bench -- [DOCS] [QUERIES] [INDEX_DIR]
//! ```
//!
//! Defaults: 100000 datasets, 2000 queries, an index in memory. With INDEX_DIR the index is
//! written there (the directory is created; an existing index in it is replaced).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use search::{CatalogDoc, Facet, SearchIndex, SearchQuery};

/// A small deterministic generator (SplitMix64), so the benchmark needs no random-number crate
/// and every run sees the same data.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Organizations: slug, title, and the theme they mostly publish under.
const ORGANIZATIONS: &[(&str, &str, usize)] = &[
    ("jtj", "市交通运输局", 1),
    ("wjw", "市卫生健康委员会", 2),
    ("sthjj", "市生态环境局", 4),
    ("scjgj", "市市场监督管理局", 0),
    ("jyj", "市教育局", 3),
    ("gaj", "市公安局", 7),
    ("zjj", "市住房和城乡建设局", 6),
    ("rsj", "市人力资源和社会保障局", 5),
    ("mzj", "市民政局", 5),
    ("tjj", "市统计局", 0),
    ("zrzyj", "市自然资源和规划局", 6),
    ("wglj", "市文化广电旅游局", 3),
    ("slj", "市水利局", 4),
    ("yjglj", "市应急管理局", 7),
    ("hzmetro", "杭州市地铁集团有限责任公司", 1),
    ("hzwater", "杭州市水务集团有限公司", 4),
];

/// Themes with Chinese subjects and English words about them.
const THEMES: &[(&str, &[&str], &[&str])] = &[
    (
        "经济建设",
        &[
            "企业",
            "登记",
            "税收",
            "招商",
            "工业",
            "产值",
            "营业执照",
            "市场主体",
            "个体工商户",
        ],
        &[
            "enterprise",
            "registration",
            "tax",
            "industry",
            "license",
            "business",
        ],
    ),
    (
        "交通出行",
        &[
            "公交",
            "站点",
            "线路",
            "地铁",
            "停车场",
            "出租车",
            "道路",
            "拥堵指数",
            "客运量",
            "共享单车",
        ],
        &[
            "bus", "stops", "routes", "metro", "parking", "traffic", "taxi",
        ],
    ),
    (
        "医疗卫生",
        &[
            "门诊",
            "医院",
            "急诊",
            "疫苗接种",
            "床位",
            "药品",
            "卫生院",
            "体检",
            "核酸检测",
        ],
        &[
            "hospital",
            "clinic",
            "outpatient",
            "vaccination",
            "beds",
            "pharmacy",
        ],
    ),
    (
        "教育文化",
        &[
            "学校",
            "招生",
            "图书馆",
            "博物馆",
            "培训机构",
            "学位",
            "幼儿园",
            "文物",
        ],
        &["school", "enrollment", "library", "museum", "kindergarten"],
    ),
    (
        "生态环境",
        &[
            "空气质量",
            "水质",
            "监测",
            "噪声",
            "排放",
            "垃圾分类",
            "绿地",
            "河道",
            "降水量",
        ],
        &[
            "air",
            "quality",
            "water",
            "monitoring",
            "noise",
            "emissions",
            "rainfall",
        ],
    ),
    (
        "社会保障",
        &[
            "养老",
            "社保",
            "低保",
            "就业",
            "救助",
            "医保",
            "养老机构",
            "残疾人",
        ],
        &["pension", "employment", "relief", "insurance", "welfare"],
    ),
    (
        "城市建设",
        &[
            "建筑",
            "房屋",
            "物业",
            "施工许可",
            "小区",
            "规划",
            "土地",
            "不动产",
        ],
        &["building", "housing", "construction", "permit", "land"],
    ),
    (
        "公共安全",
        &[
            "消防",
            "事故",
            "应急",
            "避难场所",
            "警情",
            "安全生产",
            "危险化学品",
        ],
        &["fire", "accident", "emergency", "shelter", "safety"],
    ),
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
    "富阳区",
    "临安区",
    "桐庐县",
    "淳安县",
    "建德市",
];

const QUALIFIERS: &[&str] = &[
    "统计",
    "信息",
    "名录",
    "数据",
    "目录",
    "分布",
    "汇总",
    "年度报表",
    "月度统计",
    "实时数据",
];

const FREQUENCIES: &[&str] = &["每日", "每周", "每月", "每季度", "每年", "实时"];

const FORMATS: &[&str] = &["CSV", "XLSX", "JSON", "API", "XML", "PDF", "SHP"];

fn generate(i: usize, g: &mut Gen) -> CatalogDoc {
    let &(org, org_title, home_theme) = g.pick(ORGANIZATIONS);
    let theme_idx = if g.chance(80) {
        home_theme
    } else {
        g.below(THEMES.len())
    };
    let (theme, subjects, english) = THEMES[theme_idx];
    let district = g.pick(DISTRICTS);
    let s1 = g.pick(subjects);
    let s2 = g.pick(subjects);
    let qualifier = g.pick(QUALIFIERS);
    let mut title = format!("{district}{s1}{s2}{qualifier}");
    if g.chance(25) {
        title.push_str(&format!(" ({} {})", g.pick(english), g.pick(english)));
    }
    let mut notes = format!(
        "本数据集包含{district}{s1}与{s2}相关的{qualifier}，由{org_title}{}更新，\
         可用于{}分析和公共服务。",
        g.pick(FREQUENCIES),
        g.pick(subjects),
    );
    if g.chance(40) {
        notes.push_str(&format!(
            " Includes {} and {} records for {} district, published as open data.",
            g.pick(english),
            g.pick(english),
            district
        ));
    }
    let mut tags: Vec<String> = vec![s1.to_string()];
    for _ in 0..g.below(3) {
        tags.push(g.pick(subjects).to_string());
    }
    if g.chance(30) {
        tags.push(g.pick(english).to_string());
    }
    let mut themes = vec![theme.to_string()];
    if g.chance(10) {
        themes.push(THEMES[g.below(THEMES.len())].0.to_string());
    }
    let mut formats = vec![g.pick(FORMATS).to_string()];
    if g.chance(50) {
        formats.push(g.pick(FORMATS).to_string());
    }
    let opening_type = match g.below(10) {
        0..=5 => "unconditional",
        6..=8 => "conditional",
        _ => "not_open",
    };
    let grade = ["L1", "L1", "L2", "L3", "L4"][g.below(5)];
    let domain = if org.starts_with("hz") {
        "enterprise"
    } else {
        "government"
    };
    let created = 1_600_000_000_000 + (g.below(1_000_000) as i64) * 100_000;
    // A payload the size of a CKAN package dict, as the server stores one with each document.
    let payload = format!(
        "{{\"id\":\"ds-{i:06}\",\"padding\":\"{}\"}}",
        "x".repeat(1500)
    );
    CatalogDoc {
        payload,
        id: format!("ds-{i:06}"),
        name: format!("{org}-{}-{i}", english[i % english.len()]),
        title,
        notes,
        organization: org.to_string(),
        organization_title: org_title.to_string(),
        tags,
        themes,
        formats,
        opening_type: opening_type.to_string(),
        grade: grade.to_string(),
        domain: domain.to_string(),
        modified: created + (g.below(100_000) as i64) * 60_000,
        created,
    }
}

/// A `package_search` as a portal page would send it: a word or two (Chinese or English),
/// sometimes a filter clicked in a facet list, always the facet counts, ten rows.
fn queries(n: usize, g: &mut Gen) -> Vec<SearchQuery> {
    (0..n)
        .map(|_| {
            let (_, subjects, english) = THEMES[g.below(THEMES.len())];
            let q = match g.below(20) {
                0 => String::new(),
                1..=8 => g.pick(subjects).to_string(),
                9..=12 => format!("{} {}", g.pick(DISTRICTS), g.pick(subjects)),
                13..=14 => format!("{}{}", g.pick(subjects), g.pick(QUALIFIERS)),
                _ if g.chance(50) => g.pick(english).to_string(),
                _ => format!("{} {}", g.pick(english), g.pick(english)),
            };
            let filters = match g.below(4) {
                0 => vec![(Facet::Organization, g.pick(ORGANIZATIONS).0.to_string())],
                1 => vec![(Facet::Format, g.pick(FORMATS).to_string())],
                _ => Vec::new(),
            };
            SearchQuery {
                q,
                filters,
                rows: 10,
                facets: vec![
                    Facet::Organization,
                    Facet::Tag,
                    Facet::Format,
                    Facet::OpeningType,
                ],
                facet_limit: 50,
                // As the CKAN API asks: it returns the stored package dicts, not highlights. The
                // portal's highlighted search is timed separately.
                highlight: false,
                ..SearchQuery::default()
            }
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn run_queries(index: &SearchIndex, queries: &[SearchQuery]) -> (Vec<Duration>, u64) {
    let mut latencies = Vec::with_capacity(queries.len());
    let mut hits = 0;
    for q in queries {
        let t = Instant::now();
        let result = index.search(q).expect("search");
        latencies.push(t.elapsed());
        hits += result.total;
    }
    (latencies, hits)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let docs: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let num_queries: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2_000);
    let dir: Option<PathBuf> = args.next().map(PathBuf::from);

    let index = match &dir {
        Some(dir) => SearchIndex::open(dir)?,
        None => SearchIndex::in_memory()?,
    };
    let mut g = Gen(20_240_601);
    let t = Instant::now();
    index.rebuild((0..docs).map(|i| generate(i, &mut g)))?;
    let build = t.elapsed();
    println!(
        "indexed {} datasets in {:.1} s ({:.0} datasets/s){}",
        index.len(),
        build.as_secs_f64(),
        docs as f64 / build.as_secs_f64(),
        dir.as_ref()
            .map(|d| format!(" in {}", d.display()))
            .unwrap_or_else(|| " in memory".into()),
    );

    let mut g = Gen(7);
    let queries = Arc::new(queries(num_queries, &mut g));
    // Warm up caches (and the lazily loaded jieba dictionary) before timing.
    run_queries(&index, &queries[..queries.len().min(100)]);

    let t = Instant::now();
    let (mut latencies, hits) = run_queries(&index, &queries);
    let single = t.elapsed();
    latencies.sort_unstable();
    println!(
        "1 thread:  {} queries in {:.2} s = {:.0} queries/s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.0} matches per query on average",
        queries.len(),
        single.as_secs_f64(),
        queries.len() as f64 / single.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
        hits as f64 / queries.len() as f64,
    );

    let index = Arc::new(index);
    let t = Instant::now();
    let workers: Vec<_> = (0..2)
        .map(|w| {
            let index = Arc::clone(&index);
            let queries = Arc::clone(&queries);
            std::thread::spawn(move || {
                let mine: Vec<SearchQuery> = queries.iter().skip(w).step_by(2).cloned().collect();
                run_queries(&index, &mine).0
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::with_capacity(queries.len());
    for w in workers {
        latencies.extend(w.join().expect("worker"));
    }
    let double = t.elapsed();
    latencies.sort_unstable();
    println!(
        "2 threads: {} queries in {:.2} s = {:.0} queries/s; p50 {:.2} ms, p99 {:.2} ms",
        queries.len(),
        double.as_secs_f64(),
        queries.len() as f64 / double.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );

    let highlighted: Vec<SearchQuery> = queries
        .iter()
        .map(|q| SearchQuery {
            highlight: true,
            ..q.clone()
        })
        .collect();
    let t = Instant::now();
    let (mut latencies, _) = run_queries(&index, &highlighted);
    let elapsed = t.elapsed();
    latencies.sort_unstable();
    println!(
        "1 thread, highlighted as in the portal: {:.0} queries/s; p50 {:.2} ms, p99 {:.2} ms",
        highlighted.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
    Ok(())
}
