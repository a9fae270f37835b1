//! Mappings from Gongshu's values to the controlled vocabularies DCAT-AP 3 asks for.
//!
//! Each function maps one kind of value and returns a code of the vocabulary (append it to the
//! base IRI constant of the same section) or `None` where no term fits.
//! The tables are small on purpose: a value that is not listed is left out of the export rather
//! than mapped to a guess.

use crate::types::{Access, AgentKind};

/// Gongshu's own namespace, for the properties DCAT-AP has no term for (see the crate docs).
pub const GONGSHU_NS: &str = "https://gongshu.example/ns#";

/// Base IRI of the EU access-right vocabulary.
pub const ACCESS_RIGHT: &str = "http://publications.europa.eu/resource/authority/access-right/";
/// Base IRI of the EU frequency vocabulary.
pub const FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/";
/// Base IRI of the EU file-type vocabulary.
pub const FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
/// Base IRI of the EU data-theme vocabulary; the scheme IRI is this without the final slash.
pub const DATA_THEME: &str = "http://publications.europa.eu/resource/authority/data-theme/";
/// Base IRI of the EU licence vocabulary.
pub const LICENCE: &str = "http://publications.europa.eu/resource/authority/licence/";
/// Base IRI of the EU language vocabulary.
pub const LANGUAGE: &str = "http://publications.europa.eu/resource/authority/language/";
/// Base IRI of the EU planned-availability vocabulary.
pub const PLANNED_AVAILABILITY: &str =
    "http://publications.europa.eu/resource/authority/planned-availability/";
/// Base IRI of the IANA media-type registry.
pub const IANA_MEDIA_TYPES: &str = "https://www.iana.org/assignments/media-types/";
/// Base IRI of the ADMS publisher-type vocabulary.
pub const PUBLISHER_TYPE: &str = "http://purl.org/adms/publishertype/";
/// Base IRI of the ADMS licence-type vocabulary.
pub const LICENCE_TYPE: &str = "http://purl.org/adms/licencetype/";

/// The access-right code for an opening type: 无条件开放 → `PUBLIC`, 有条件开放 → `RESTRICTED`,
/// 不予开放 → `NON_PUBLIC`.
pub fn access_right(access: Access) -> &'static str {
    match access {
        Access::Unconditional => "PUBLIC",
        Access::Conditional => "RESTRICTED",
        Access::NotOpen => "NON_PUBLIC",
    }
}

/// English and Chinese labels of an access-right code.
pub(crate) fn access_right_labels(code: &str) -> (&'static str, &'static str) {
    match code {
        "PUBLIC" => ("public", "公开"),
        "RESTRICTED" => ("restricted", "受限"),
        _ => ("non-public", "非公开"),
    }
}

/// Frequency codes with their English label and the spellings that map to them, compared after
/// [`normalize`]. The Chinese spellings are the ones publishers write in 更新频率.
const FREQUENCIES: &[(&str, &str, &[&str])] = &[
    (
        "CONT",
        "continuous",
        &[
            "continuous",
            "continuously",
            "realtime",
            "实时",
            "实时更新",
            "持续更新",
        ],
    ),
    (
        "HOURLY",
        "hourly",
        &["hourly", "everyhour", "每小时", "每时", "按小时"],
    ),
    (
        "DAILY",
        "daily",
        &[
            "daily", "everyday", "day", "每日", "每天", "日", "日更", "按日", "按天",
        ],
    ),
    (
        "WEEKLY",
        "weekly",
        &[
            "weekly",
            "everyweek",
            "week",
            "每周",
            "每星期",
            "周",
            "按周",
        ],
    ),
    (
        "MONTHLY",
        "monthly",
        &[
            "monthly",
            "everymonth",
            "month",
            "每月",
            "月",
            "月度",
            "按月",
        ],
    ),
    (
        "QUARTERLY",
        "quarterly",
        &[
            "quarterly",
            "everyquarter",
            "quarter",
            "每季度",
            "每季",
            "季",
            "季度",
            "按季",
            "按季度",
        ],
    ),
    (
        "ANNUAL_2",
        "semiannual",
        &[
            "semiannual",
            "semiannually",
            "biannual",
            "biannually",
            "halfyearly",
            "每半年",
            "半年",
            "半年度",
        ],
    ),
    (
        "ANNUAL",
        "annual",
        &[
            "annual",
            "annually",
            "yearly",
            "everyyear",
            "year",
            "每年",
            "年",
            "年度",
            "按年",
            "每年度",
        ],
    ),
    (
        "BIENNIAL",
        "biennial",
        &["biennial", "biennially", "everytwoyears", "每两年", "两年"],
    ),
    (
        "IRREG",
        "irregular",
        &[
            "irregular",
            "irregularly",
            "asneeded",
            "adhoc",
            "ondemand",
            "不定期",
            "不定时",
            "按需",
            "不定期更新",
        ],
    ),
    (
        "NEVER",
        "never",
        &[
            "never",
            "once",
            "none",
            "static",
            "一次性",
            "不更新",
            "无更新",
        ],
    ),
    ("UNKNOWN", "unknown", &["unknown", "未知"]),
];

/// Lowercases and drops whitespace and `-`, `_`, `.` so that `Real-time`, `real time` and
/// `realtime` compare equal.
fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The frequency code for a free-text update frequency (`monthly`, `每月`, …); `UNKNOWN` for text
/// that names no known frequency. A frequency code is also accepted as is.
pub fn frequency(text: &str) -> &'static str {
    let key = normalize(text);
    FREQUENCIES
        .iter()
        .find(|(code, _, spellings)| normalize(code) == key || spellings.contains(&key.as_str()))
        .map_or("UNKNOWN", |(code, _, _)| code)
}

/// The English label of a frequency code.
pub(crate) fn frequency_label(code: &str) -> &'static str {
    FREQUENCIES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or("unknown", |(_, label, _)| label)
}

/// File types: code, English label, IANA media type, and other spellings of the format.
const FILE_TYPES: &[(&str, &str, Option<&str>, &[&str])] = &[
    ("CSV", "CSV", Some("text/csv"), &[]),
    ("TSV", "TSV", Some("text/tab-separated-values"), &["tab"]),
    (
        "XLSX",
        "Excel XLSX",
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        &[],
    ),
    ("XLS", "Excel XLS", Some("application/vnd.ms-excel"), &[]),
    (
        "ODS",
        "ODS",
        Some("application/vnd.oasis.opendocument.spreadsheet"),
        &[],
    ),
    ("JSON", "JSON", Some("application/json"), &[]),
    ("GEOJSON", "GeoJSON", Some("application/geo+json"), &[]),
    (
        "JSON_LD",
        "JSON-LD",
        Some("application/ld+json"),
        &["jsonld"],
    ),
    (
        "PARQUET",
        "Parquet",
        Some("application/vnd.apache.parquet"),
        &[],
    ),
    ("XML", "XML", Some("application/xml"), &[]),
    (
        "RDF_TURTLE",
        "RDF Turtle",
        Some("text/turtle"),
        &["turtle", "ttl"],
    ),
    ("HTML", "HTML", Some("text/html"), &["htm"]),
    ("TXT", "TXT", Some("text/plain"), &["text"]),
    ("PDF", "PDF", Some("application/pdf"), &[]),
    ("ZIP", "ZIP", Some("application/zip"), &[]),
];

/// The file-type code for a format name (`CSV`, `xlsx`, `Parquet`, …), or `None`.
pub fn file_type(format: &str) -> Option<&'static str> {
    let key = normalize(format);
    FILE_TYPES
        .iter()
        .find(|(code, _, _, spellings)| normalize(code) == key || spellings.contains(&key.as_str()))
        .map(|(code, _, _, _)| *code)
}

/// The English label of a file-type code.
pub(crate) fn file_type_label(code: &str) -> &'static str {
    FILE_TYPES
        .iter()
        .find(|(c, _, _, _)| *c == code)
        .map_or("", |(_, label, _, _)| label)
}

/// The IANA media type of a file-type code.
pub fn file_type_media_type(code: &str) -> Option<&'static str> {
    FILE_TYPES
        .iter()
        .find(|(c, _, _, _)| *c == code)
        .and_then(|(_, _, media, _)| *media)
}

/// The file-type code whose media type this is (`text/csv` → `CSV`).
pub fn file_type_of_media_type(media_type: &str) -> Option<&'static str> {
    let media_type = self::media_type(media_type)?;
    FILE_TYPES
        .iter()
        .find(|(_, _, media, _)| *media == Some(media_type.as_str()))
        .map(|(code, _, _, _)| *code)
}

/// A media type reduced to `type/subtype` in lower case, parameters dropped
/// (`Text/CSV; charset=utf-8` → `text/csv`), or `None` for a string that is not a media type or
/// names an unregistered `x-` type, which has no IANA IRI.
pub fn media_type(media_type: &str) -> Option<String> {
    let essence = media_type.split(';').next()?.trim().to_ascii_lowercase();
    let (top, sub) = essence.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    let unregistered = top.starts_with("x-") || sub.starts_with("x-");
    (token(top) && token(sub) && !unregistered).then_some(essence)
}

/// The IANA IRI of a media type (`text/csv` →
/// `https://www.iana.org/assignments/media-types/text/csv`), or `None` as for [`media_type`].
pub fn media_type_iri(media_type: &str) -> Option<String> {
    self::media_type(media_type).map(|m| format!("{IANA_MEDIA_TYPES}{m}"))
}

/// Gongshu themes (主题) that map clearly to an EU data theme, with the theme's English label.
const THEMES: &[(&str, &str, &[&str])] = &[
    ("TRAN", "Transport", &["交通出行", "交通", "交通运输"]),
    (
        "HEAL",
        "Health",
        &["医疗卫生", "卫生健康", "医疗", "卫生", "医疗健康"],
    ),
    (
        "ENVI",
        "Environment",
        &["生态环境", "环境保护", "环境", "生态"],
    ),
    (
        "ECON",
        "Economy and finance",
        &["经济建设", "经济", "财政金融", "财税金融", "金融"],
    ),
    (
        "EDUC",
        "Education, culture and sport",
        &["教育文化", "教育", "文化", "文化体育", "文体", "教育科技"],
    ),
    (
        "SOCI",
        "Population and society",
        &["社会保障", "社保", "社会民生", "民生服务", "人口"],
    ),
    (
        "JUST",
        "Justice, legal system and public safety",
        &["公共安全", "司法", "法律", "社会治安", "安全生产"],
    ),
    (
        "REGI",
        "Regions and cities",
        &["城市建设", "城乡建设", "住房城乡建设", "城市管理"],
    ),
    (
        "GOVE",
        "Government and public sector",
        &["政府", "政务", "机构团体", "政府机构", "政务服务"],
    ),
    (
        "AGRI",
        "Agriculture, fisheries, forestry and food",
        &["农业农村", "农业", "农林牧渔"],
    ),
    ("ENER", "Energy", &["能源", "能源资源"]),
    (
        "TECH",
        "Science and technology",
        &["科技创新", "科学技术", "科技"],
    ),
    ("INTR", "International issues", &["国际", "对外交流"]),
];

/// The EU data-theme code for a Gongshu theme (交通出行 → `TRAN`, 医疗卫生 → `HEAL`, …), or
/// `None` when no theme fits clearly.
pub fn data_theme(theme: &str) -> Option<&'static str> {
    let theme = theme.trim();
    THEMES
        .iter()
        .find(|(_, _, names)| names.contains(&theme))
        .map(|(code, _, _)| *code)
}

/// The English label of a data-theme code.
pub(crate) fn data_theme_label(code: &str) -> &'static str {
    THEMES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or("", |(_, label, _)| label)
}

/// The ADMS publisher-type code and its English label for a kind of agent.
///
/// Departments and the data authority are local government: Gongshu is run by a city's data
/// authority, and the agent record does not say whether a department is municipal or provincial.
pub fn publisher_type(kind: AgentKind) -> (&'static str, &'static str) {
    match kind {
        AgentKind::Department | AgentKind::Authority => ("LocalAuthority", "Local Authority"),
        AgentKind::Enterprise => ("Company", "Company"),
    }
}

/// A license Gongshu recognizes by name or URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownLicense {
    /// Code in the EU licence vocabulary (`CC_BY_4_0`).
    pub eu_code: &'static str,
    /// Open Definition / SPDX identifier, as Data Packages name licenses (`CC-BY-4.0`).
    pub id: &'static str,
    /// Full title.
    pub title: &'static str,
    /// Canonical URL of the license text.
    pub url: &'static str,
    /// ADMS licence-type codes (`Attribution`, `ShareAlike`, `PublicDomain`).
    pub types: &'static [&'static str],
}

const LICENSES: &[(KnownLicense, &[&str], &str)] = &[
    (
        KnownLicense {
            eu_code: "CC_BY_4_0",
            id: "CC-BY-4.0",
            title: "Creative Commons Attribution 4.0 International",
            url: "https://creativecommons.org/licenses/by/4.0/",
            types: &["Attribution"],
        },
        &["ccby40", "ccby", "ccby4", "署名40", "知识共享署名40"],
        "creativecommons.org/licenses/by/4.0",
    ),
    (
        KnownLicense {
            eu_code: "CC_BY_SA_4_0",
            id: "CC-BY-SA-4.0",
            title: "Creative Commons Attribution-ShareAlike 4.0 International",
            url: "https://creativecommons.org/licenses/by-sa/4.0/",
            types: &["Attribution", "ShareAlike"],
        },
        &["ccbysa40", "ccbysa", "ccbysa4"],
        "creativecommons.org/licenses/by-sa/4.0",
    ),
    (
        KnownLicense {
            eu_code: "CC0",
            id: "CC0-1.0",
            title: "Creative Commons Zero 1.0 Universal",
            url: "https://creativecommons.org/publicdomain/zero/1.0/",
            types: &["PublicDomain"],
        },
        &["cc010", "cc0", "publicdomain", "公有领域"],
        "creativecommons.org/publicdomain/zero/1.0",
    ),
    (
        KnownLicense {
            eu_code: "ODC_BL",
            id: "ODbL-1.0",
            title: "Open Data Commons Open Database License 1.0",
            url: "https://opendatacommons.org/licenses/odbl/1-0/",
            types: &["Attribution", "ShareAlike"],
        },
        &["odbl10", "odbl"],
        "opendatacommons.org/licenses/odbl",
    ),
    (
        KnownLicense {
            eu_code: "ODC_BY",
            id: "ODC-BY-1.0",
            title: "Open Data Commons Attribution License 1.0",
            url: "https://opendatacommons.org/licenses/by/1-0/",
            types: &["Attribution"],
        },
        &["odcby10", "odcby"],
        "opendatacommons.org/licenses/by",
    ),
    (
        KnownLicense {
            eu_code: "ODC_PDDL",
            id: "ODC-PDDL-1.0",
            title: "Open Data Commons Public Domain Dedication and License 1.0",
            url: "https://opendatacommons.org/licenses/pddl/1-0/",
            types: &["PublicDomain"],
        },
        &["odcpddl10", "pddl", "odcpddl"],
        "opendatacommons.org/licenses/pddl",
    ),
];

/// The license a name (`CC-BY-4.0`, `CC BY 4.0`, `cc0`) or URL (`https://creativecommons.org/…`)
/// refers to, if it is one of the few Gongshu recognizes.
pub fn known_license(name_or_url: &str) -> Option<KnownLicense> {
    let lower = name_or_url.trim().to_ascii_lowercase();
    let key = normalize(&lower);
    LICENSES
        .iter()
        .find(|(_, names, url_part)| names.contains(&key.as_str()) || lower.contains(url_part))
        .map(|(license, _, _)| *license)
}

/// Namespaces and the terms the exports use.
pub(crate) mod ns {
    pub const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
    pub const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";
    pub const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
    pub const DCAT: &str = "http://www.w3.org/ns/dcat#";
    pub const DCT: &str = "http://purl.org/dc/terms/";
    pub const DCATAP: &str = "http://data.europa.eu/r5r/";
    pub const FOAF: &str = "http://xmlns.com/foaf/0.1/";
    pub const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
    pub const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
    pub const SPDX: &str = "http://spdx.org/rdf/terms#";
    pub const LOCN: &str = "http://www.w3.org/ns/locn#";
    pub const DQV: &str = "http://www.w3.org/ns/dqv#";

    /// Prefixes declared in every Turtle document and JSON-LD `@context`.
    pub const PREFIXES: &[(&str, &str)] = &[
        ("rdf", RDF),
        ("rdfs", RDFS),
        ("xsd", XSD),
        ("dcat", DCAT),
        ("dct", DCT),
        ("dcatap", DCATAP),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("skos", SKOS),
        ("spdx", SPDX),
        ("locn", LOCN),
        ("dqv", DQV),
        ("gongshu", super::GONGSHU_NS),
    ];

    /// Defines one constant per term as the namespace literal followed by the local name.
    /// (`concat!` takes only literals, so each namespace literal appears here once more.)
    macro_rules! terms {
        ($ns:literal { $($name:ident = $local:literal;)+ }) => {
            $(pub const $name: &str = concat!($ns, $local);)+
        };
    }

    terms!("http://www.w3.org/1999/02/22-rdf-syntax-ns#" {
        RDF_TYPE = "type";
    });

    terms!("http://www.w3.org/2000/01/rdf-schema#" {
        RDFS_LABEL = "label";
        RDFS_RESOURCE = "Resource";
    });

    terms!("http://www.w3.org/2001/XMLSchema#" {
        XSD_DATE_TIME = "dateTime";
        XSD_DATE = "date";
        XSD_G_YEAR = "gYear";
        XSD_G_YEAR_MONTH = "gYearMonth";
        XSD_NON_NEGATIVE_INTEGER = "nonNegativeInteger";
        XSD_HEX_BINARY = "hexBinary";
        XSD_DECIMAL = "decimal";
    });

    terms!("http://www.w3.org/ns/dcat#" {
        DCAT_CATALOG = "Catalog";
        DCAT_DATASET_CLASS = "Dataset";
        DCAT_DISTRIBUTION_CLASS = "Distribution";
        DCAT_DATASET = "dataset";
        DCAT_DISTRIBUTION = "distribution";
        DCAT_THEME_TAXONOMY = "themeTaxonomy";
        DCAT_KEYWORD = "keyword";
        DCAT_THEME = "theme";
        DCAT_CONTACT_POINT = "contactPoint";
        DCAT_LANDING_PAGE = "landingPage";
        DCAT_ACCESS_URL = "accessURL";
        DCAT_DOWNLOAD_URL = "downloadURL";
        DCAT_MEDIA_TYPE = "mediaType";
        DCAT_BYTE_SIZE = "byteSize";
        DCAT_START_DATE = "startDate";
        DCAT_END_DATE = "endDate";
    });

    terms!("http://purl.org/dc/terms/" {
        DCT_TITLE = "title";
        DCT_DESCRIPTION = "description";
        DCT_PUBLISHER = "publisher";
        DCT_ISSUED = "issued";
        DCT_MODIFIED = "modified";
        DCT_LANGUAGE = "language";
        DCT_IDENTIFIER = "identifier";
        DCT_ACCESS_RIGHTS = "accessRights";
        DCT_ACCRUAL_PERIODICITY = "accrualPeriodicity";
        DCT_LICENSE = "license";
        DCT_SPATIAL = "spatial";
        DCT_TEMPORAL = "temporal";
        DCT_FORMAT = "format";
        DCT_TYPE = "type";
        DCT_RIGHTS_STATEMENT = "RightsStatement";
        DCT_FREQUENCY = "Frequency";
        DCT_LICENSE_DOCUMENT = "LicenseDocument";
        DCT_LINGUISTIC_SYSTEM = "LinguisticSystem";
        DCT_LOCATION = "Location";
        DCT_PERIOD_OF_TIME = "PeriodOfTime";
        DCT_MEDIA_TYPE = "MediaType";
        DCT_MEDIA_TYPE_OR_EXTENT = "MediaTypeOrExtent";
    });

    terms!("http://data.europa.eu/r5r/" {
        DCATAP_AVAILABILITY = "availability";
    });

    terms!("http://xmlns.com/foaf/0.1/" {
        FOAF_AGENT = "Agent";
        FOAF_ORGANIZATION = "Organization";
        FOAF_DOCUMENT = "Document";
        FOAF_NAME = "name";
        FOAF_HOMEPAGE = "homepage";
    });

    terms!("http://www.w3.org/2006/vcard/ns#" {
        VCARD_KIND = "Kind";
        VCARD_FN = "fn";
        VCARD_HAS_EMAIL = "hasEmail";
        VCARD_HAS_URL = "hasURL";
    });

    terms!("http://www.w3.org/2004/02/skos/core#" {
        SKOS_CONCEPT = "Concept";
        SKOS_CONCEPT_SCHEME = "ConceptScheme";
        SKOS_PREF_LABEL = "prefLabel";
        SKOS_IN_SCHEME = "inScheme";
    });

    terms!("http://spdx.org/rdf/terms#" {
        SPDX_CHECKSUM = "checksum";
        SPDX_CHECKSUM_CLASS = "Checksum";
        SPDX_ALGORITHM = "algorithm";
        SPDX_CHECKSUM_VALUE = "checksumValue";
        SPDX_CHECKSUM_ALGORITHM = "ChecksumAlgorithm";
        SPDX_SHA256 = "checksumAlgorithm_sha256";
    });

    terms!("http://www.w3.org/ns/locn#" {
        LOCN_GEOGRAPHIC_NAME = "geographicName";
    });

    terms!("http://www.w3.org/ns/dqv#" {
        DQV_HAS_QUALITY_MEASUREMENT = "hasQualityMeasurement";
        DQV_QUALITY_MEASUREMENT = "QualityMeasurement";
        DQV_IS_MEASUREMENT_OF = "isMeasurementOf";
        DQV_VALUE = "value";
        DQV_METRIC = "Metric";
        DQV_EXPECTED_DATA_TYPE = "expectedDataType";
    });

    terms!("https://gongshu.example/ns#" {
        GONGSHU_QUALITY_SCORE = "qualityScore";
        GONGSHU_GRADE = "grade";
        GONGSHU_DOMAIN = "domain";
        GONGSHU_OPENING_TYPE = "openingType";
        GONGSHU_AGENT_KIND = "agentKind";
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_types_map_to_access_rights() {
        assert_eq!(access_right(Access::Unconditional), "PUBLIC");
        assert_eq!(access_right(Access::Conditional), "RESTRICTED");
        assert_eq!(access_right(Access::NotOpen), "NON_PUBLIC");
    }

    #[test]
    fn frequencies_in_chinese_and_english() {
        let check =
            |text: &str, code: &str| assert_eq!(frequency(text), code, "frequency of {text:?}");
        check("每日", "DAILY");
        check("每天", "DAILY");
        check("Daily", "DAILY");
        check("每周", "WEEKLY");
        check("weekly", "WEEKLY");
        check("每月", "MONTHLY");
        check(" Monthly ", "MONTHLY");
        check("每季度", "QUARTERLY");
        check("quarterly", "QUARTERLY");
        check("每年", "ANNUAL");
        check("yearly", "ANNUAL");
        check("annual", "ANNUAL");
        check("每半年", "ANNUAL_2");
        check("semi-annual", "ANNUAL_2");
        check("实时", "CONT");
        check("real-time", "CONT");
        check("每小时", "HOURLY");
        check("不定期", "IRREG");
        check("irregular", "IRREG");
        check("一次性", "NEVER");
        check("ANNUAL_2", "ANNUAL_2");
        check("UNKNOWN", "UNKNOWN");
        check("每逢佳节", "UNKNOWN");
        check("", "UNKNOWN");
        for (code, label, _) in FREQUENCIES {
            assert_eq!(frequency(code), *code);
            assert_eq!(frequency_label(code), *label);
        }
    }

    #[test]
    fn formats_map_to_file_types_and_media_types() {
        let check = |format: &str, code: Option<&str>| {
            assert_eq!(file_type(format), code, "file type of {format:?}")
        };
        check("CSV", Some("CSV"));
        check("csv", Some("CSV"));
        check("XLSX", Some("XLSX"));
        check("xls", Some("XLS"));
        check("Parquet", Some("PARQUET"));
        check("TSV", Some("TSV"));
        check("JSON", Some("JSON"));
        check("GeoJSON", Some("GEOJSON"));
        check("json-ld", Some("JSON_LD"));
        check("NDJSON", None);
        check("", None);
        assert_eq!(file_type_media_type("CSV"), Some("text/csv"));
        assert_eq!(
            file_type_media_type("PARQUET"),
            Some("application/vnd.apache.parquet")
        );
        assert_eq!(
            file_type_of_media_type("text/csv; charset=utf-8"),
            Some("CSV")
        );
        assert_eq!(
            file_type_of_media_type(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            ),
            Some("XLSX")
        );
        assert_eq!(file_type_of_media_type("image/png"), None);
    }

    #[test]
    fn media_types_become_iana_iris_when_registrable() {
        let check = |input: &str, iri: Option<&str>| {
            assert_eq!(media_type_iri(input).as_deref(), iri, "{input:?}")
        };
        check(
            "text/csv",
            Some("https://www.iana.org/assignments/media-types/text/csv"),
        );
        check(
            "Text/CSV; charset=UTF-8",
            Some("https://www.iana.org/assignments/media-types/text/csv"),
        );
        check(
            "application/geo+json",
            Some("https://www.iana.org/assignments/media-types/application/geo+json"),
        );
        check("application/x-ndjson", None);
        check("csv", None);
        check("text/", None);
        check("text/c sv", None);
        check("text/csv>", None);
    }

    #[test]
    fn gongshu_themes_map_to_eu_data_themes() {
        let check =
            |theme: &str, code: Option<&str>| assert_eq!(data_theme(theme), code, "{theme}");
        check("交通出行", Some("TRAN"));
        check("医疗卫生", Some("HEAL"));
        check("生态环境", Some("ENVI"));
        check("经济建设", Some("ECON"));
        check("教育文化", Some("EDUC"));
        check("社会保障", Some("SOCI"));
        check("公共安全", Some("JUST"));
        check("城市建设", Some("REGI"));
        check("政府", Some("GOVE"));
        check(" 交通出行 ", Some("TRAN"));
        check("旅游休闲", None);
        for (code, label, _) in THEMES {
            assert_eq!(data_theme_label(code), *label);
        }
    }

    #[test]
    fn licenses_are_recognized_by_name_and_url() {
        let id = |s: &str| known_license(s).map(|l| l.id);
        assert_eq!(id("CC-BY-4.0"), Some("CC-BY-4.0"));
        assert_eq!(id("CC BY 4.0"), Some("CC-BY-4.0"));
        assert_eq!(
            id("https://creativecommons.org/licenses/by/4.0/deed.zh"),
            Some("CC-BY-4.0")
        );
        assert_eq!(id("CC-BY-SA-4.0"), Some("CC-BY-SA-4.0"));
        assert_eq!(
            id("http://creativecommons.org/licenses/by-sa/4.0/"),
            Some("CC-BY-SA-4.0")
        );
        assert_eq!(id("cc0"), Some("CC0-1.0"));
        assert_eq!(id("ODbL"), Some("ODbL-1.0"));
        assert_eq!(id("政府数据开放许可协议"), None);
        assert_eq!(
            known_license("CC-BY-4.0").map(|l| l.eu_code),
            Some("CC_BY_4_0")
        );
    }

    #[test]
    fn agents_get_an_adms_publisher_type() {
        assert_eq!(publisher_type(AgentKind::Department).0, "LocalAuthority");
        assert_eq!(publisher_type(AgentKind::Authority).0, "LocalAuthority");
        assert_eq!(publisher_type(AgentKind::Enterprise).0, "Company");
    }
}
