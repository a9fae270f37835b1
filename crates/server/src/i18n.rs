//! Simplified Chinese (the default) and English for the portal.
//!
//! Every message is a method of [`Tr`], so a template that names a missing message does not
//! compile. The language comes from the `lang` cookie, set by `/lang/{code}`; without one the
//! portal is in Chinese whatever the browser prefers, as a government portal in China should be.

use axum::http::HeaderMap;
use axum_extra::extract::cookie::CookieJar;

/// Portal language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 简体中文.
    Zh,
    /// English.
    En,
}

/// Name of the language cookie.
pub const LANG_COOKIE: &str = "lang";

impl Lang {
    /// The code used in cookies and `lang` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// `zh-CN` or `en` for the HTML `lang` attribute.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses `zh` or `en`.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of a request: the visitor's choice, else Chinese.
    pub fn from_request(jar: &CookieJar, _headers: &HeaderMap) -> Lang {
        jar.get(LANG_COOKIE)
            .and_then(|c| Lang::from_code(c.value()))
            .unwrap_or(Lang::Zh)
    }

    /// The other language, for the switcher.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The switcher's label for this language, in this language.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Zh => "中文",
            Lang::En => "English",
        }
    }
}

macro_rules! messages {
    ($($key:ident => $zh:literal, $en:literal;)+) => {
        /// The messages of the portal in one language.
        #[derive(Debug, Clone, Copy)]
        pub struct Tr(pub Lang);

        impl Tr {
            $(
                #[doc = concat!("English: \"", $en, "\"")]
                pub fn $key(&self) -> &'static str {
                    match self.0 { Lang::Zh => $zh, Lang::En => $en }
                }
            )+
        }
    };
}

messages! {
    site_name => "共数 · 公共数据开放平台", "Gongshu Open Data";
    skip_to_content => "跳到正文", "Skip to content";
    nav_catalog => "数据目录", "Catalog";
    nav_publish => "发布数据", "Publish";
    nav_requests => "降级审批", "Approvals";
    nav_tokens => "API 令牌", "API tokens";
    login => "登录", "Sign in";
    logout => "退出", "Sign out";
    username => "用户名", "Username";
    password => "密码", "Password";
    signed_in_as => "当前用户", "Signed in as";
    catalog_title => "数据目录", "Data catalog";
    catalog_empty => "目录中还没有数据集。", "The catalog has no datasets yet.";
    datasets_total => "个数据集", "datasets";
    filter => "筛选", "Filter";
    all => "全部", "All";
    organization => "提供单位", "Organization";
    opening_type => "开放属性", "Opening type";
    grade => "分级", "Grade";
    domain => "数据域", "Domain";
    importance => "重要性", "Importance";
    themes => "主题", "Themes";
    tags => "标签", "Tags";
    update_frequency => "更新频率", "Update frequency";
    license => "许可", "License";
    spatial => "空间范围", "Spatial coverage";
    temporal => "时间范围", "Temporal coverage";
    contact => "联系方式", "Contact";
    created => "创建时间", "Created";
    modified => "更新时间", "Modified";
    description => "描述", "Description";
    title => "标题", "Title";
    name_slug => "标识名（小写字母、数字、-、_）", "Name (lower-case letters, digits, - and _)";
    resources => "资源", "Resources";
    resource => "资源", "Resource";
    versions => "版本", "Versions";
    version => "版本", "Version";
    rows => "行数", "Rows";
    size => "大小", "Size";
    format => "格式", "Format";
    encoding => "编码", "Encoding";
    uploaded_by => "上传者", "Uploaded by";
    columns => "字段", "Columns";
    column => "字段", "Column";
    data_type => "类型", "Type";
    null_rate => "空值率", "Null rate";
    distinct => "不同值（估计）", "Distinct (est.)";
    min_max => "最小 / 最大", "Min / max";
    pii_findings => "个人信息识别", "Personal information found";
    proposed_grade => "建议分级", "Proposed grade";
    confirmed => "已确认", "Confirmed";
    unconfirmed => "待确认", "Not confirmed";
    hidden_values => "（敏感字段，不展示取值）", "(sensitive column: values not shown)";
    columns_withheld => "该数据集不予开放，仅公开目录信息。", "This dataset is not open: only its catalog record is public.";
    no_versions => "还没有上传数据。", "No data uploaded yet.";
    new_dataset => "新建数据集", "New dataset";
    create => "创建", "Create";
    save => "保存", "Save";
    upload => "上传新版本", "Upload a new version";
    upload_file => "文件（CSV、TSV、XLSX、XLS、JSON、NDJSON、Parquet）", "File (CSV, TSV, XLSX, XLS, JSON, NDJSON, Parquet)";
    resource_name => "资源名称", "Resource name";
    classify => "确认或调整分级", "Confirm or change grades";
    classify_help => "可以随时提高分级或收紧开放属性；降低需经数据管理部门审批。", "You may raise a grade or tighten the opening type at any time; lowering needs the data authority's approval.";
    change_opening => "调整开放属性", "Change opening type";
    reason => "理由", "Reason";
    pending_requests => "待审批的降级申请", "Pending requests to lower";
    no_pending => "没有待审批的申请。", "No pending requests.";
    approve => "批准", "Approve";
    reject => "驳回", "Reject";
    requested_by => "申请人", "Requested by";
    change => "变更", "Change";
    status => "状态", "Status";
    not_found_title => "页面不存在", "Page not found";
    error_title => "出错了", "Something went wrong";
    back_to_catalog => "返回数据目录", "Back to the catalog";
    tokens_title => "API 令牌", "API tokens";
    token_name => "令牌名称", "Token name";
    token_days => "有效天数", "Valid for days";
    token_created => "新令牌如下，只显示这一次，请立即保存：", "Your new token is shown only this once; copy it now:";
    revoke => "吊销", "Revoke";
    revoked => "已吊销", "Revoked";
    expires => "过期时间", "Expires";
    never => "永不", "Never";
    dataset_grade => "数据集分级", "Dataset grade";
    message_saved => "已保存。", "Saved.";
    message_request_filed => "降级需审批，已提交申请。", "Lowering needs approval; a request has been filed.";
    language => "语言", "Language";
    next_page => "下一页", "Next";
    prev_page => "上一页", "Previous";
    api_example => "API 示例", "API example";
    delete => "删除", "Delete";
    nav_access => "我的申请与授权", "My applications";
    nav_reviews => "申请审核", "Reviews";
    preview => "数据预览", "Data preview";
    preview_masked => "已脱敏", "masked";
    facet_theme => "主题", "Theme";
    facet_format => "格式", "Format";
    facet_tag => "标签", "Tag";
    search_label => "搜索数据集", "Search datasets";
    search_placeholder => "输入关键词，如 公交、空气质量、jiaotong", "Words to find, e.g. bus, air quality, 公交";
    search_button => "搜索", "Search";
    sort_by => "排序", "Sort";
    sort_relevance => "相关度", "Relevance";
    sort_modified => "最近更新", "Recently modified";
    sort_title => "标题", "Title";
    opening_list_title => "公共数据开放清单", "Open data list";
    opening_list_intro => "数据主管部门公布的全部数据集及其开放类型、开放条件和更新频率。", "Every dataset with its opening type, conditions of use and update frequency, as published by the data authority.";
    opening_conditions => "开放条件", "Conditions";
    nav_log => "访问日志", "Access log";
    log_intro => "平台的每一次数据访问、授权决定和分级变更都记入这份公开日志（Merkle 树，RFC 6962）。条目不含个人信息；任何人都可以核验日志签名、一致性和收录证明。", "Every data access, grant decision and classification change is recorded in this public log (a Merkle tree, RFC 6962). Entries hold no personal information; anyone can verify the log's signature, consistency and inclusion proofs.";
    log_checkpoint => "最新签名检查点", "Latest signed checkpoint";
    log_origin => "日志名称", "Log name";
    log_size => "条目数", "Entries";
    log_root => "根哈希", "Root hash";
    log_vkey => "验证公钥", "Verifier key";
    log_signed_note => "签名原文", "Signed note";
    log_verify_hint => "独立核验整份日志：", "Verify the whole log independently:";
    log_counts => "各数据集访问次数", "Accesses per dataset";
    log_data_accesses => "数据访问", "Data accesses";
    log_downloads => "其中下载", "of which downloads";
    log_decisions => "授权与分级事件", "Grant and classification events";
    log_recent => "最近条目", "Recent entries";
    log_all => "全部", "all";
    log_empty => "暂无记录。", "Nothing recorded yet.";
    log_time => "时间", "Time";
    log_kind => "事件", "Event";
    log_actor => "主体", "Actor";
    log_purpose => "用途", "Purpose";
    log_rows => "行数", "Rows";
    log_verify_receipt => "核验回执", "Verify a receipt";
    log_receipt_label => "粘贴回执（JSON）", "Paste a receipt (JSON)";
    log_verify_button => "核验", "Verify";
    log_offline_hint => "也可离线核验：", "Or verify offline:";
    receipt_valid => "回执有效：条目已收录于签名日志，条目/规模", "The receipt is valid: the entry is in the signed log, entry/size";
    receipt_invalid => "回执无效：", "The receipt is not valid:";
    receipt_malformed => "这不是有效的回执 JSON", "This is not a receipt in JSON";
    access_log_link => "访问记录", "Access record";
    preview_logged => "本次预览已记入公开访问日志，条目", "This preview is recorded in the public access log as entry";
    receipt => "回执", "receipt";
    preview_hidden => "个字段因分级或授权范围未显示。", "columns are not shown because of their grade or the scope of your access.";
    preview_basis_owner => "您所在单位是该数据集的提供方，可查看全部原始数据。", "Your organization provides this dataset: you see all of it raw.";
    preview_basis_open => "无条件开放数据，任何人可查看 L1 字段。", "Unconditionally open data: anyone sees the L1 columns.";
    preview_basis_grant => "依据您的授权展示，受授权范围和每日额度约束。", "Shown under your grant, within its scope and daily quota.";
    preview_none => "您暂无权限查看该数据集的数据行。", "You may not see the rows of this dataset.";
    preview_rows_shown => "显示前若干行", "first rows shown";
    quota_left => "今日剩余额度（行）", "Rows left today";
    download => "下载", "Download";
    apply_for_access => "申请使用数据", "Apply for access";
    apply_title => "申请使用数据", "Apply for data";
    apply_help => "选择需要的字段、用途和使用方式。涉及 L3/L4 字段、个人数据或重要数据的申请，还需数据管理部门复核。", "Choose the columns, purpose and ways of use you need. Applications touching L3/L4 columns, personal data or important data also need the data authority's approval.";
    purpose_category => "用途类别", "Purpose category";
    purpose => "用途说明", "Purpose";
    scenario => "使用场景", "Usage scenario";
    modes => "使用方式", "Ways of use";
    duration_days => "使用期限（天，最长 365）", "Duration (days, at most 365)";
    daily_quota => "每日行数上限（可空）", "Daily row quota (optional)";
    on_behalf => "以所在单位名义申请", "Apply on behalf of my organization";
    agreement => "数据使用协议", "Data-use agreement";
    agreement_version => "协议版本", "Agreement version";
    accept_agreement => "我已阅读并同意上述数据使用协议", "I have read and accept the data-use agreement above";
    submit_application => "提交申请", "Submit application";
    save_draft => "保存草稿", "Save as draft";
    my_applications => "我的申请", "My applications";
    my_grants => "我的授权", "My grants";
    no_applications => "还没有申请。", "No applications yet.";
    no_grants => "还没有授权。", "No grants yet.";
    dataset => "数据集", "Dataset";
    applicant => "申请人", "Applicant";
    step => "审核环节", "Review step";
    step_department => "提供单位审核", "Provider's review";
    step_authority => "数据管理部门复核", "Authority's second approval";
    rejection_reason => "驳回理由", "Reason for rejection";
    withdraw => "撤回", "Withdraw";
    valid_until => "有效期至", "Valid until";
    grant_state => "授权状态", "Grant state";
    review_queue => "待审核的数据申请", "Applications to review";
    no_reviews => "没有待审核的申请。", "Nothing to review.";
    narrow_help => "批准时可以缩小字段、期限和额度，不能扩大。", "You may narrow the columns, duration and quota when approving, never widen them.";
    note => "意见", "Remarks";
    reject_reason_required => "驳回时必须填写理由", "A reason is required to reject";
    grants_of_dataset => "该数据集的授权", "Grants on this dataset";
    revoke_reason => "撤销理由", "Reason for revocation";
    report_result => "报告成果", "Report a result";
    results => "数据成果", "Results built on this data";
    no_results => "还没有成果。", "No results reported yet.";
    quality_title => "数据质量", "Data quality";
    nav_contribution => "贡献指数", "Contribution";
    contribution_title => "数据共享贡献指数", "Data sharing contribution index";
    contribution_intro => "按期间分别为企业和政府部门计算：共享的数据量、按行数加权的数据质量、数据被使用的情况、按声明频率更新的规律性，以及部门对数据需求的按时答复。", "Computed per period for enterprises and for departments separately: the volume of data shared, its row-weighted quality, how it is used, how regularly it is updated against the declared frequency, and, for departments, demands answered on time.";
    contribution_formula_link => "计算方法", "How the index is computed";
    contribution_period => "期间", "Period";
    contribution_kind => "类别", "Group";
    contribution_enterprises => "企业", "Enterprises";
    contribution_departments => "政府部门", "Departments";
    contribution_show => "查看", "Show";
    contribution_empty => "该期间没有这一类别的机构。", "No organization of this group in this period.";
    contribution_chart_alt => "前 15 名机构的贡献指数堆叠条形图，按各分项的加权得分分段，数值见下表。", "Stacked bar chart of the first 15 organizations' index, split into the weighted components; the numbers are in the table below.";
    contribution_rank => "名次", "Rank";
    contribution_index => "指数", "Index";
    contribution_volume => "数量", "Volume";
    contribution_quality => "质量", "Quality";
    contribution_usage => "使用", "Usage";
    contribution_regularity => "规律性", "Regularity";
    contribution_responsiveness => "需求响应", "Responsiveness";
    contribution_datasets => "数据集", "Datasets";
    contribution_rows => "行数", "Rows";
    contribution_versions => "期内版本", "Versions in the period";
    contribution_reports => "激励报告", "Incentive reports";
    contribution_reports_intro => "数据主管部门据此给予资金补贴和政策优惠。每份报告发布时，其 SHA-256 记入访问日志，任何人都可核对下载的报告是否为发布时的原件。", "The data authority grants subsidies and policy preferences by these reports. When a report is published its SHA-256 becomes a leaf of the access log, so anyone can check that a downloaded report is the one published.";
    contribution_reports_none => "尚未发布激励报告。", "No incentive report has been published yet.";
    contribution_entries => "机构数", "Organizations";
    contribution_log_index => "日志序号", "Log index";
    contribution_publish => "发布激励报告", "Publish an incentive report";
    contribution_published => "激励报告已发布，其 SHA-256 已记入访问日志。", "The incentive report was published and its SHA-256 recorded in the access log.";
    contribution_formula_intro => "对同一类别（企业，或政府部门）在同一期间（月、季度或年，按北京时间）的每个机构计算以下分项，每项 0 到 1。", "For each organization of a group (enterprises, or departments) and period (a month, a quarter or a year, in Beijing time), these components, each from 0 to 1.";
    contribution_formula_volume => "0.4 × 数据集数 / 本类最多数据集数 + 0.4 × ln(1 + 行数) / ln(1 + 本类最多行数) + 0.2 × 期内版本数 / 本类最多版本数；数据集指期末有版本的数据集，行数为期末各资源最新版本的行数之和。", "0.4 × datasets / most datasets in the group + 0.4 × ln(1 + rows) / ln(1 + most rows) + 0.2 × versions in the period / most versions; datasets are those with a version at the period's end, rows the rows of each resource's latest version then.";
    contribution_formula_quality => "期末各资源最新版本的质量评分按行数加权的平均值除以 100。", "The mean quality score of each resource's latest version at the period's end, weighted by its rows, divided by 100.";
    contribution_formula_usage => "ln(1 + u) / ln(1 + 本类最大 u)，u = 预览 + 查询 + 下载 + 5 × 申请 + 10 × 授权 + 20 × 成果 + 20 × 满足的数据需求（期内，来自访问日志和成果记录）。CKAN 和 DCAT 采集程序读取数据集目录信息的次数单独列出，不计入 u：采集程序会读取每一条目录。", "ln(1 + u) / ln(1 + the group's largest u), with u = previews + queries + downloads + 5 × applications + 10 × grants + 20 × results + 20 × demands fulfilled in the period (from the access log and the reported results). Reads of the records by CKAN and DCAT harvesters are listed beside them but not counted in u: a harvester reads every record.";
    contribution_formula_regularity => "声明了可核查更新频率的数据集在期内发布的版本数（每个数据集最多计应发布数）/ 应发布数（期内已过天数 / 更新周期，向上取整）；没有此类数据集时为 0.5。", "Versions published in the period by the datasets with a checkable declared frequency (each counting at most the number expected) over the number expected (days of the period passed / interval, rounded up); 0.5 when no dataset declares one.";
    contribution_formula_responsiveness => "仅政府部门：期内到期（或期内答复）的数据需求中按期答复的比例；没有到期需求时为 1。", "Departments only: of the demands addressed to it that fell due (or were answered) in the period, the share answered by their deadline; 1 when none was due.";
    contribution_formula_index => "指数（0 到 100）：企业 = 100 × (0.25 V + 0.30 Q + 0.25 U + 0.20 R)；政府部门 = 100 × (0.20 V + 0.25 Q + 0.20 U + 0.15 R + 0.20 S)。按指数从高到低排名，指数相同按机构名称排序。", "Index (0 to 100): enterprises 100 × (0.25 V + 0.30 Q + 0.25 U + 0.20 R); departments 100 × (0.20 V + 0.25 Q + 0.20 U + 0.15 R + 0.20 S). Ranked by index, highest first; equal indexes in the order of the organizations' names.";
    contribution_formula_example => "示例：某月两家企业。A：2 个数据集、9,999 行、2 个版本、质量 90、u = 99，两个数据集均按月更新且已更新。B：1 个数据集、99 行、1 个版本、质量 60、u = 0、未声明频率。V_A = 1，V_B = 0.5；Q_A = 0.9，Q_B = 0.6；U_A = 1，U_B = 0；R_A = 1，R_B = 0.5。指数 A = 97，B = 40.5。", "Example: two enterprises in a month. A: 2 datasets, 9,999 rows, 2 versions, quality 90, u = 99, both datasets monthly and updated. B: 1 dataset, 99 rows, 1 version, quality 60, u = 0, no frequency. V_A = 1, V_B = 0.5; Q_A = 0.9, Q_B = 0.6; U_A = 1, U_B = 0; R_A = 1, R_B = 0.5. Index A = 97, B = 40.5.";
    quality_score => "质量评分", "Quality score";
    quality_value => "得分", "Value";
    quality_weight => "权重", "Weight";
    quality_dimension => "维度", "Dimension";
    quality_dimensions => "各维度得分", "Score by dimension";
    quality_history => "各版本质量评分", "Quality score of each version";
    quality_history_alt => "各版本发布时的质量评分条形图，数值见下表。", "Bar chart of each version's quality score when published; the numbers are in the table below.";
    quality_dimensions_alt => "各质量维度得分条形图，数值见左表。", "Bar chart of the value of each quality dimension; the numbers are in the table.";
    quality_not_measured => "尚无已测量的版本。", "No version has been measured yet.";
    quality_fix => "优先改进", "What to fix first";
    quality_fix_none => "没有扣分项。", "Nothing costs points.";
    quality_issue => "问题", "Issue";
    quality_column => "列", "Column";
    quality_count => "数量", "Count";
    quality_points_lost => "扣分", "Points lost";
    quality_version => "版本", "Version";
    quality_date => "发布日期", "Published";
    quality_letter => "等级", "Letter";
    quality_formula_link => "评分方法", "How the score is computed";
    quality_formula_intro => "每个维度得分 0 到 1，质量评分 = 100 × Σ 权重 × 维度得分。等级：90 分及以上为 A，80 分起为 B，70 分起为 C，60 分起为 D，其余为 E。版本的评分在发布时计算；数据集的评分按行数加权合并各资源最新版本的数据维度，并按当前的元数据和时间重新计算时效性，因此未按期更新的数据集评分会逐日下降。", "Each dimension scores from 0 to 1; the quality score is 100 × Σ weight × dimension. Letters: A from 90, B from 80, C from 70, D from 60, E below. A version is scored when it is published; a dataset's score combines its resources' latest versions weighted by rows with the metadata as it stands and timeliness as of today, so a dataset not updated on time loses points day by day.";
    quality_rule_completeness => "非空单元格占全部单元格的比例。", "Non-empty cells over all cells.";
    quality_rule_validity => "1 − 无效值 / 非空值。以文本存储、但至少 80% 的值为数字（或日期）的列中，其余的值无效；身份证号、统一社会信用代码、银行卡号列中校验位不正确的值无效。", "1 − invalid values / non-empty values. In a column stored as text whose values are at least 80 % numbers (or dates), the others are invalid; in a column of citizen IDs, unified social credit codes or bank cards, values failing their check character are invalid.";
    quality_rule_uniqueness => "1 − 问题行 / 检查的行（前两百万行精确计数）。问题行是每个单元格都与之前某行相同的行；数据字典声明了主键时，主键与之前某行相同或有字段为空的行也是问题行，取两种计数中较大者（重复的行也重复其主键）。", "1 − faulty rows / rows checked (exact over the first two million rows). A row is faulty when every cell equals an earlier row's; when the data dictionary declares a key, also when its key equals an earlier row's or has an empty part; the larger of the two counts is taken (a duplicate row repeats its key too).";
    quality_rule_consistency => "1 − 较上一版本新增、删除或改变类型的列数 / 列数；首个版本为 1。", "1 − columns added, removed or retyped since the previous version / columns; 1 for a first version.";
    quality_rule_timeliness => "最新版本未超过声明的更新周期时为 1，此后线性下降，到三个周期时为 0；未声明可核查的更新频率时为 0.5。", "1 while the latest version is within the declared update interval, then falling linearly to 0 at three intervals; 0.5 without a checkable declared frequency.";
    quality_rule_metadata => "参照欧盟数据门户元数据质量评估（MQA）的五个方面取平均：可发现性（标签、主题、空间与时间范围）、可访问性（可下载的版本）、互操作性（带类型的机器可读数据）、可重用性（许可协议、联系方式、访问权限、发布者）、情境性（至少 20 字的描述 0.4、更新频率 0.3、资源说明 0.15、数据字典中有说明的字段比例 0.15）。", "The mean of five aspects in the manner of the European data portal's Metadata Quality Assessment: findability (tags, themes, spatial and temporal coverage), accessibility (a version to download), interoperability (typed, machine-readable data), reusability (licence, contact point, access rights, publisher) and contextuality (a description of at least 20 characters 0.4, update frequency 0.3, resource descriptions 0.15, the share of columns the data dictionary describes 0.15).";
    result_accepted => "已认可", "Accepted";
    accept_result => "认可成果（成果报告人获得积分）", "Accept the result (its reporter earns points)";
    message_result_accepted => "已认可该成果。", "The result was accepted.";
    result_kind => "成果类型", "Kind";
    result_url => "链接", "Link";
    message_applied => "申请已提交，请等待审核。", "Your application was submitted for review.";
    message_draft => "草稿已保存。", "Draft saved.";
    message_reviewed => "审核意见已提交。", "Your review was recorded.";
    message_revoked => "授权已撤销。", "The grant was revoked.";
    message_reported => "成果已发布。", "The result was published.";
    message_withdrawn => "申请已撤回。", "The application was withdrawn.";
    yes => "是", "Yes";
    answer_no => "否", "No";
    nav_demands => "数据需求", "Data demands";
    demands_title => "数据需求", "Data demands";
    demands_intro => "提出您需要的数据，支持他人的需求；被点名的部门须在期限内公开答复。", "Say which data you need and support others' demands; the department asked must answer in public within the deadline.";
    demands_none => "没有符合条件的数据需求。", "No demands match.";
    demands_total => "条需求", "demands";
    demand_new => "提出数据需求", "File a demand";
    demand_search => "搜索需求", "Search demands";
    nav_activity => "我的参与", "My activity";
    nav_consultations => "意见征集", "Consultations";
    nav_feedback => "诉求反馈", "Feedback";
    nav_points => "我的积分", "My points";
    nav_rewards => "积分兑换", "Rewards";
    nav_activities => "数字活动", "Activities";
    activities_title => "数字活动", "Activities";
    activities_intro => "参与活动任务获得积分：提交诉求、参与意见征集、提出数据需求，或学习政策解读后答题。每个任务每人只计一次积分。", "Earn points with the tasks of an activity: report a problem, comment on a consultation, file a data demand, or pass a quiz on a policy brief. Each task pays each person once.";
    activities_empty => "暂无活动。", "There are no activities yet.";
    activities_name => "活动", "Activity";
    activities_progress => "我的进度", "My progress";
    activities_running => "进行中", "Running";
    activities_not_running => "未在进行", "Not running";
    activities_tasks_count => "项任务", "tasks";
    activities_tasks => "任务", "Tasks";
    activities_done => "已完成", "Done";
    activities_brief => "政策解读", "Policy brief";
    activities_attempts_left => "剩余答题次数", "Attempts left";
    activities_submit_quiz => "提交答案", "Submit answers";
    activities_no_attempts => "答题次数已用完。", "No attempts left.";
    activities_sign_in => "登录后参与活动。", "Sign in to take part.";
    activities_new => "发起活动", "Start an activity";
    activities_tasks_help => "填写标题的任务才会保存；事件任务由平台已记录的行为完成，答题任务需答对规定比例。目标：诉求填服务代码，意见征集填征集编号，留空表示不限。", "Only tasks with a title are saved. An event task is done by something the platform already records; the quiz is passed with the share of right answers set below. Target: a service code for feedback, a consultation id for a comment; empty for any.";
    activities_task => "任务", "Task";
    activities_task_kind => "完成方式", "Done by";
    activities_task_target => "目标（可选）", "Target (optional)";
    activities_task_title => "任务说明", "What to do";
    activities_quiz => "答题任务", "Quiz task";
    activities_quiz_brief => "政策简介（先阅读的内容或链接）", "Policy brief (text or link to read first)";
    activities_quiz_pass => "及格线（答对百分比，默认 60）", "Pass mark (percent right, default 60)";
    activities_quiz_attempts => "每人可答次数（默认 3）", "Attempts per person (default 3)";
    activities_question => "题目", "Question";
    activities_question_text => "题干", "Question text";
    activities_question_options => "选项（每行一个，2 到 6 个）", "Choices (one per line, 2 to 6)";
    activities_question_answer => "正确选项（从 1 数起）", "Right choice (counted from 1)";
    message_quiz_passed => "答题通过，积分已发放。", "Passed: the points were credited.";
    message_quiz_failed => "未通过，可以再试。", "Not passed; you may try again.";
    points_title => "我的积分", "My points";
    points_spendable => "可用积分", "Spendable points";
    points_lifetime => "累计获得（信誉）", "Lifetime earned (reputation)";
    points_level => "信誉等级", "Reputation level";
    points_next_level => "升级所需累计积分", "lifetime points for the next level";
    points_expiring => "30 天内到期", "Expiring within 30 days";
    points_expired => "已过期", "Expired";
    points_history => "积分明细", "History";
    points_when => "时间", "When";
    points_change => "变动", "Change";
    points_reason => "原因", "Reason";
    points_expires => "到期日", "Expires";
    points_none => "还没有积分记录。诉求办结、意见被采纳、需求被受理等都可获得积分。", "No points yet. Resolved feedback, adopted comments and accepted demands earn points.";
    points_redemptions => "我的兑换", "My redemptions";
    points_code => "兑换码", "Code";
    points_reward => "奖品", "Reward";
    points_cost => "所需积分", "Cost in points";
    points_status_cancelled => "已撤销", "Cancelled";
    points_status_issued => "有效", "Issued";
    points_log_leaf => "访问日志序号", "Log entry";
    points_leaderboard_title => "积分排行榜", "Points leaderboard";
    points_leaderboard_intro => "只显示自愿公开的用户及其自选昵称，按累计获得积分排序。", "Only users who chose to appear are shown, under the name they chose, by lifetime points.";
    points_leaderboard_empty => "还没有用户选择公开。", "No one has chosen to appear yet.";
    points_leaderboard_choice => "排行榜", "Leaderboard";
    points_leaderboard_public => "在公开排行榜上显示我", "Show me on the public leaderboard";
    points_display_name => "显示昵称", "Display name";
    points_rank => "名次", "Rank";
    points_save => "保存", "Save";
    points_rules_title => "积分规则", "Points rules";
    points_rules_intro => "积分只奖励经核实的结果，参与类积分每日有上限；内容被隐藏时撤回其所得积分。积分默认在获得次年年底到期，先到期的先使用。", "Points reward verified outcomes; plain participation is capped per day, and hidden content loses the points it earned. By default points expire at the end of the year after they were earned, and those expiring first are spent first.";
    points_rule => "规则", "Rule";
    points_rule_edit => "修改规则", "Change a rule";
    points_points => "积分", "Points";
    points_daily_cap => "每日上限", "Daily cap";
    points_enabled => "启用", "On";
    points_no_cap => "不限", "None";
    rewards_title => "积分兑换", "Rewards";
    rewards_intro => "用可用积分兑换奖品。兑换即时生效并记入访问日志，凭兑换码领取。", "Redeem spendable points for rewards. A redemption takes effect at once, is recorded in the access log, and its code collects the reward.";
    rewards_empty => "暂无奖品。", "There are no rewards yet.";
    rewards_stock => "库存", "In stock";
    rewards_per_user => "每人限兑", "Per person";
    rewards_period => "兑换期", "Period";
    rewards_redeem => "兑换", "Redeem";
    rewards_unavailable => "不可兑换", "Not available";
    rewards_your_points => "您的可用积分", "Your spendable points";
    rewards_sign_in => "登录后可兑换。", "Sign in to redeem.";
    rewards_new => "新增奖品", "Add a reward";
    rewards_name => "奖品", "Reward";
    rewards_name_en => "英文名称", "Name in English";
    rewards_starts => "开始日期", "First day";
    rewards_ends => "截止日期", "Last day";
    rewards_redemptions => "兑换记录", "Redemptions";
    rewards_cancel => "撤销兑换", "Cancel";
    rewards_cancel_reason => "撤销原因", "Reason for cancelling";
    rewards_none_redeemed => "还没有兑换记录。", "No redemptions yet.";
    message_points_saved => "已保存。", "Saved.";
    message_redeemed => "兑换成功，凭下表中的兑换码领取。", "Redeemed: the code in the table below collects the reward.";
    message_redemption_cancelled => "兑换已撤销，积分和库存已退回。", "The redemption was cancelled; the points and the stock were given back.";
    feedback_title => "诉求反馈", "Feedback on public services";
    feedback_intro => "发现公共设施或公共服务的问题？任何人都可以提交诉求，无需登录。责任部门须在期限内公开答复，处理进度全程公开；联系方式仅供处理部门查看，每次查看都记入访问日志。", "Found a problem with a public facility or service? Anyone may report it, without signing in. The department responsible must answer in public within the deadline, and every step is published; contact details are seen only by the handling department, and every look is logged.";
    feedback_new => "提交诉求", "Report a problem";
    feedback_service => "诉求类别", "Category";
    feedback_choose_service => "请选择诉求类别：", "Choose a category:";
    feedback_department => "处理部门", "Department";
    feedback_status => "状态", "Status";
    feedback_overdue => "已逾期", "Overdue";
    feedback_overdue_only => "只看逾期未受理", "Only overdue";
    feedback_from => "提交日期起", "Submitted from";
    feedback_to => "提交日期止", "Submitted to";
    feedback_none => "没有符合条件的诉求。", "No feedback matches.";
    feedback_submitted_at => "提交时间", "Submitted";
    feedback_due => "受理期限", "Answer due";
    feedback_description => "问题描述", "Description";
    feedback_description_hint => "请勿填写身份证号、银行卡号、手机号等个人信息；如有，公开时将自动遮盖。", "Do not write ID, bank card or mobile numbers; any found are masked in public.";
    feedback_hidden => "描述已被处理部门隐藏，理由：", "The department hid the description. Reason:";
    feedback_location => "位置", "Location";
    feedback_lat => "纬度（WGS 84）", "Latitude (WGS 84)";
    feedback_long => "经度（WGS 84）", "Longitude (WGS 84)";
    feedback_address => "地址", "Address";
    feedback_location_hint => "填写经纬度或地址，至少一项。", "Give latitude and longitude, or an address, or both.";
    feedback_photos => "照片", "Photos";
    feedback_photos_hint => "最多 3 张 JPEG、PNG 或 WebP 照片，每张不超过 5 MiB；照片中的拍摄位置、设备等信息会被去除。", "Up to 3 JPEG, PNG or WebP photos of at most 5 MiB each; location, device and other metadata are removed.";
    feedback_photo_alt => "诉求照片", "Photo of the problem";
    feedback_contact_title => "联系方式（选填，不公开）", "Contact (optional, never published)";
    feedback_contact_name => "姓名", "Name";
    feedback_contact_phone => "电话", "Phone";
    feedback_contact_email => "电子邮箱", "E-mail";
    feedback_submit => "提交", "Submit";
    feedback_private_link => "请保存这个私人链接：没有账号时，凭它评价或申请重新办理。它只显示这一次。", "Keep this private link: without an account, it lets you rate the answer or reopen the item. It is shown only this once.";
    feedback_history => "办理过程", "History";
    feedback_expected => "预计办结", "Expected by";
    feedback_note => "公开说明", "Public note";
    feedback_act => "办理", "Handle";
    feedback_action => "办理步骤", "Step";
    feedback_expected_date => "预计办结日期（YYYY-MM-DD，受理时必填）", "Expected date (YYYY-MM-DD, to accept)";
    feedback_transfer_to => "转办部门（转办时必填）", "Transfer to (to transfer)";
    feedback_do => "确定", "Apply";
    feedback_read_contact => "查看联系方式（将记入访问日志）", "Show contact details (logged)";
    feedback_contact_none => "提交人未留联系方式。", "The submitter left no contact details.";
    feedback_rate => "满意度评价", "Rate the answer";
    feedback_rating => "评分（1 很不满意 — 5 很满意）", "Rating (1 very unsatisfied – 5 very satisfied)";
    feedback_rated => "满意度", "Satisfaction";
    feedback_reopen => "申请重新办理", "Reopen";
    feedback_reopen_reason => "理由", "Reason";
    feedback_reopen_hint => "办结或不予受理后 30 天内可申请重新办理一次。", "Within 30 days of closing, an item can be reopened once.";
    feedback_stats_title => "诉求反馈统计", "Feedback statistics";
    feedback_stats_intro => "按诉求类别和处理部门统计：数量、首次答复和办结所需时间的中位数（小时）、办结率、平均满意度和逾期数。", "Per category and department: volume, median hours to the first answer and to resolution, resolution rate, mean satisfaction and overdue count.";
    feedback_stats_by_service => "按诉求类别", "By category";
    feedback_stats_by_department => "按处理部门", "By department";
    feedback_stats_total => "合计", "All feedback";
    feedback_stats_total_n => "数量", "Items";
    feedback_stats_resolved => "已办结", "Resolved";
    feedback_stats_rejected => "不予受理", "Rejected";
    feedback_stats_rate => "办结率", "Resolution rate";
    feedback_stats_rating => "平均满意度", "Mean satisfaction";
    feedback_stats_answer_h => "首次答复（小时，中位数）", "First answer (median hours)";
    feedback_stats_resolve_h => "办结（小时，中位数）", "Resolution (median hours)";
    feedback_stats_months => "月度趋势", "Monthly trend";
    feedback_stats_month => "月份", "Month";
    feedback_stats_volume_alt => "各诉求类别的已办结、不予受理和办理中数量", "Resolved, rejected and open items per category";
    feedback_stats_months_alt => "每月提交和已办结的诉求数量", "Items submitted and resolved per month";
    feedback_stats_none => "还没有诉求。", "No feedback yet.";
    feedback_services_title => "诉求类别管理", "Feedback categories";
    feedback_services_intro => "诉求类别即 Open311 服务，每个类别对应一个责任部门。附加问题以 JSON 填写（Open311 attribute 格式）。", "Categories are Open311 services, each routed to one department. Extra questions are JSON in Open311's attribute shape.";
    feedback_service_code => "代码", "Code";
    feedback_service_name => "名称", "Name";
    feedback_service_name_en => "英文名称", "English name";
    feedback_service_group => "分组", "Group";
    feedback_service_keywords => "关键词（逗号分隔）", "Keywords (comma-separated)";
    feedback_service_attributes => "附加问题（JSON）", "Extra questions (JSON)";
    feedback_service_active => "接受新的诉求", "Takes new feedback";
    feedback_service_save => "保存类别", "Save category";
    message_feedback_done => "已办理。", "Done.";
    message_service_saved => "诉求类别已保存。", "The category was saved.";
    consultations_title => "政策意见征集", "Policy consultations";
    consultations_intro => "部门公开征求意见的政策草案。登录后可对全文或某一条发表意见；征集截止后，部门须逐条反馈采纳情况并公布结果。", "Draft policies the departments put out for comment. Sign in to comment on the whole draft or one article; after the close the department answers every comment and publishes the result.";
    consultations_none => "暂无意见征集。", "No consultations yet.";
    consultation_new => "发布征求意见稿", "Publish a draft for comment";
    consultation_period => "征集期", "Open for comments";
    consultation_comments => "意见数", "Comments";
    consultation_enterprises_only => "仅企业用户", "Enterprise users only";
    consultation_everyone => "所有登录用户", "Everyone signed in";
    consultation_answers_overdue => "反馈已逾期", "Answers overdue";
    consultation_summary => "草案说明", "Summary of the draft";
    consultation_attachments => "附件", "Attachments";
    consultation_attach => "添加附件（PDF，不超过10 MiB）", "Attach a PDF (at most 10 MiB)";
    consultation_attach_submit => "上传", "Upload";
    consultation_articles => "条文", "Articles";
    consultation_articles_hint => "每条一段，段与段之间空一行；段首可用【】写条标题。", "One article per paragraph, with an empty line between paragraphs; a paragraph may start with a heading in 【】.";
    consultation_audience => "参与对象", "Who may take part";
    consultation_opens => "开始日期（默认今天）", "First day (default today)";
    consultation_closes => "截止日期（默认30天）", "Last day (default 30 days)";
    consultation_short_reason => "征集期少于30天的理由（公开显示）", "Why fewer than 30 days (shown publicly)";
    consultation_publish => "发布", "Publish";
    consultation_answers_due => "反馈期限", "Answers due";
    consultation_download => "下载全部意见和反馈", "Download every comment and answer:";
    consultation_result => "征集结果", "Result";
    consultation_participants => "参与者", "Participants";
    consultation_citizen => "市民", "Citizen";
    consultation_enterprise => "企业", "Enterprise";
    consultation_private => "其中民营企业", "of which private";
    consultation_smes => "其中中小微企业", "of which SMEs";
    consultation_government => "政府部门", "Government";
    consultation_answer => "采纳情况", "Answer";
    consultation_adopted => "采纳", "Adopted";
    consultation_partly => "部分采纳", "Partly adopted";
    consultation_not_adopted => "未采纳", "Not adopted";
    consultation_adoption_rate => "采纳率", "Adoption rate";
    consultation_unanswered => "尚未反馈的意见", "Comments still without an answer";
    consultation_result_summary => "结果说明", "Summary of the result";
    consultation_publish_result => "公布结果", "Publish the result";
    consultation_article_prefix => "第", "Article ";
    consultation_article_suffix => "条", "";
    consultation_general_comments => "对全文的意见", "Comments on the whole draft";
    consultation_comment_form => "发表意见", "Comment";
    consultation_on_article => "针对", "On";
    consultation_whole_draft => "全文", "The whole draft";
    consultation_stance => "立场", "Stance";
    consultation_your_comment => "您的意见", "Your comment";
    consultation_send => "提交意见", "Send";
    consultation_sign_in => "登录后发表意见", "Sign in to comment";
    consultation_withdrawn => "已撤回", "Withdrawn";
    consultation_hidden => "已屏蔽", "Hidden";
    consultation_withdraw => "撤回", "Withdraw";
    consultation_edit => "修改意见", "Edit my comment";
    consultation_save => "保存修改", "Save";
    consultation_hide => "屏蔽", "Hide";
    consultation_hide_reason => "屏蔽理由（公开）", "Reason (public)";
    consultation_answer_text => "反馈说明（未采纳时必填）", "Answer (required when not adopted)";
    consultation_answer_submit => "提交反馈", "Send the answer";
    consultation_chart_stances => "各条意见及立场", "Comments by article and stance";
    consultation_chart_participants => "参与者构成", "Participants by kind";
    consultation_chart_stances_alt => "堆叠条形图：各条及全文收到的赞成、反对、中立意见数；数值见上。", "Stacked bar chart: supporting, opposing and neutral comments on each article and the whole draft.";
    consultation_chart_participants_alt => "条形图：市民、企业（其中民营、中小微企业）和政府部门参与者人数；数值见上。", "Bar chart: participants who are citizens, enterprises (private ones and SMEs among them) and government.";
    activity_title => "我的参与", "My activity";
    activity_intro => "您提出、支持和评论过的数据需求，您对政策草案的意见，以及部门给您的答复。", "The data demands you filed, support and commented on, your comments on draft policies, and the answers you received.";
    activity_filed => "我提出的需求", "Demands I filed";
    activity_filed_none => "您还没有提出数据需求。", "You have not filed a demand yet.";
    activity_supported => "我支持的需求", "Demands I support";
    activity_comments => "我的评论", "My comments";
    activity_none => "暂无。", "None yet.";
    activity_consultation_comments => "我对政策草案的意见", "My comments on draft policies";
    demand_search_related => "相关数据需求", "Related data demands";
    demand_search_more => "查看全部匹配的需求", "All matching demands";
    demand_stats_title => "数据需求统计", "Demand statistics";
    demand_stats_intro => "各部门和主题收到的数据需求、答复和满足情况。逾期指期限届满次日起仍未答复。", "Demands each department and theme received, and how they were answered and fulfilled. Overdue means still unanswered after the deadline day.";
    demand_stats_as_of => "统计时间", "As of";
    demand_stats_by_department => "按部门", "By department";
    demand_stats_by_theme => "按主题", "By theme";
    demand_stats_total => "合计", "All demands";
    demand_stats_demands => "需求数", "Demands";
    demand_stats_name => "部门或主题", "Department or theme";
    demand_stats_links => "另见", "See also";
    demand_stats_enterprise => "企业提出", "By enterprises";
    demand_stats_open => "待答复", "Open";
    demand_stats_answered_late => "逾期答复", "Answered late";
    demand_stats_acceptance => "受理率", "Acceptance rate";
    demand_stats_fulfilment => "满足率", "Fulfilment rate";
    demand_stats_median_days => "答复天数中位数", "Median days to answer";
    demand_stats_volume_chart => "需求数量及状态", "Demands by state";
    demand_stats_acceptance_chart => "受理率（已答复需求中被受理的比例）", "Acceptance rate (accepted out of answered)";
    demand_stats_volume_alt => "堆叠条形图：各部门和主题的需求数，按待答复、已逾期、已受理、已满足、未采纳分段；数值见下表。", "Stacked bar chart: demands per department and theme, split into open, overdue, accepted, fulfilled and not accepted; the numbers are in the tables below.";
    demand_stats_acceptance_alt => "条形图：各部门和主题的受理率；数值见下表。", "Bar chart: the acceptance rate of each department and theme; the numbers are in the tables below.";
    demand_stats_open_in_time => "待答复（未逾期）", "Open, in time";
    demand_stats_theme_prefix => "主题：", "Theme: ";
    demand_stats_download => "下载统计", "Download the statistics";
    demand_stats_none => "暂无数据需求。", "No demands yet.";
    demand_plan_title => "开放计划", "Opening plan";
    demand_plan_intro => "已受理的数据需求及其计划开放日期，按月份排列。", "Accepted demands and the dates their data is planned to open, by month.";
    demand_plan_none => "暂无已受理、待开放的需求。", "No accepted demands are waiting to be opened.";
    demand_plan_date => "计划开放日期", "Planned opening";
    demand_plan_late => "已过计划日期", "Past the planned date";
    demand_target => "提需对象", "Asked";
    demand_department => "部门", "Department";
    demand_theme => "主题（无明确部门时）", "Theme (when no department holds it)";
    demand_fields => "需要的字段（逗号分隔）", "Wanted fields (comma-separated)";
    demand_purpose => "用途", "Purpose";
    demand_extends => "扩展的数据集（标识名，可选）", "Dataset it extends (slug, optional)";
    demand_status => "状态", "Status";
    demand_overdue => "已逾期", "Overdue";
    demand_overdue_only => "只看逾期", "Overdue only";
    demand_due => "答复期限", "Answer due";
    demand_supports => "支持", "Supports";
    demand_comments => "评论", "Comments";
    demand_support => "支持", "Support";
    demand_unsupport => "取消支持", "Withdraw support";
    demand_supported => "您已支持", "You support this";
    demand_comment => "发表评论", "Comment";
    demand_history => "办理记录", "History";
    demand_answer => "答复", "Answer";
    demand_accept => "受理", "Accept";
    demand_reject => "不予采纳", "Do not accept";
    demand_planned => "计划开放日期", "Planned opening date";
    demand_reason => "原因类别", "Reason";
    demand_answer_text => "公开答复", "Public answer";
    demand_fulfil => "标记已满足", "Mark fulfilled";
    demand_fulfil_dataset => "满足需求的数据集（标识名）", "Dataset that fulfils it (slug)";
    demand_fulfil_grant => "或授权编号", "or grant id";
    demand_transfer => "转办", "Transfer";
    demand_merge => "合并到", "Merge into";
    demand_merge_into => "目标需求编号", "Id of the demand that carries on";
    demand_filed_by => "提出者", "Filed by";
    demand_enterprise => "企业", "Enterprise";
    demand_citizen => "个人", "Individual";
    demand_sort => "排序", "Sort";
    demand_sort_supports => "支持最多", "Most supported";
    demand_sort_newest => "最新", "Newest";
    demand_sort_deadline => "期限最近", "Nearest deadline";
    demand_merged_into => "已合并到", "Merged into";
    demand_fulfilled_by => "满足方式", "Fulfilled by";
    demand_event_filed => "提出", "Filed";
    demand_event_accept => "受理", "Accepted";
    demand_event_reject => "不予采纳", "Not accepted";
    demand_event_fulfil => "已满足", "Fulfilled";
    demand_event_transfer => "转办", "Transferred";
    demand_event_merge => "合并", "Merged";
    demand_sign_in => "登录后可提出、支持和评论数据需求。", "Sign in to file, support and comment on demands.";
    message_demand_filed => "数据需求已提交。", "Your demand was filed.";
    message_demand_updated => "已保存。", "Saved.";
    nav_cleanroom => "融合计算", "Clean room";
    cleanroom_title => "融合计算（可用不可见）", "Clean room: usable, not visible";
    cleanroom_intro => "融合计算让获批的使用方在不同部门和企业的数据之间做聚合分析：数据不离开平台，使用方只得到保护每个人和每家企业的聚合结果，看不到任何一条明细。", "The clean room lets an approved party run aggregate analyses across data of different departments and enterprises: the data never leaves the platform, and the party gets only aggregates that protect every person and firm, never a single record.";
    cleanroom_how_title => "如何使用", "How it works";
    cleanroom_how_policy => "数据所有者为数据集声明融合计算策略：哪些列标识个人或企业（主体列）、哪些列允许作为连接键、每个结果分组至少覆盖的主体数 k（默认 10），以及是否加噪。", "Each owner declares a clean-room policy for its dataset: the columns that identify a person or firm (entity columns), the columns allowed as join keys, the fewest distinct entities k an output group may cover (10 by default), and whether noise is required.";
    cleanroom_how_apply => "使用方为一个用途申请融合多个数据集，每个数据集的所有者分别审核自己的部分（涉及三、四级数据或个人数据时还需数据主管部门复核）；全部批准后即可查询，获批时给定一个 ε 隐私预算。本单位自己的数据集无需申请，可与其他单位的数据一起放入融合计算，同样只能得到聚合结果，但至少要有一个其他单位的数据集。", "A party applies to fuse several datasets for one purpose; each owner reviews its own part (and the data authority too where sensitive or personal data is involved). Once every part is approved the clean room can be queried, with one ε privacy budget. Your organization's own datasets need no application: they join the others under the same rules, aggregates only, beside at least one other organization's dataset.";
    cleanroom_how_keys => "连接键在视图中被替换为平台密钥下的 HMAC-SHA-256 假名：同一身份证号在不同数据集中得到同一假名，可以等值连接，但任何一方都拿不到对方的标识，原始值也不进入查询计划。密钥只保存在服务器上。", "Join keys are replaced in the views by keyed pseudonyms (HMAC-SHA-256 under a secret that never leaves the server): the same ID gets the same pseudonym in every dataset, so tables can be joined on it, but no party learns the other's identifiers and the raw value never enters the plan.";
    cleanroom_roles_title => "列的用途", "What each column can do";
    cleanroom_role_dimension => "维度（一、二级列）：可用于 GROUP BY、WHERE 和聚合。", "Dimension (L1, L2): usable in GROUP BY, WHERE and aggregates.";
    cleanroom_role_measure => "度量（三级列）：只能作为 COUNT、SUM、AVG 的参数。", "Measure (L3): only as the column of COUNT, SUM or AVG.";
    cleanroom_role_join_key => "连接键：只能出现在允许的连接键之间的等值连接条件中，永不输出。", "Join key: only in an equality join between allowed join keys; never output.";
    cleanroom_role_entity => "主体列：查询中不能引用，平台用它统计每个分组覆盖的不同主体数。", "Entity: never named by the query; the platform counts its distinct values per group.";
    cleanroom_rules_title => "查询规则", "Query rules";
    cleanroom_rules_intro => "查询是一条 SELECT 语句，在 DataFusion 逻辑计划上（而不是文本上）逐条检查下列规则，违反任何一条即被拒绝，拒绝信息会写明规则名称：", "A query is one SELECT, checked on its DataFusion logical plan (not its text) against these rules; a refusal names the rule that failed:";
    cleanroom_k_text => "每个结果分组必须覆盖所读每个数据集至少 k 个不同主体（取各数据集中最严格的 k）；不足 k 的分组被移除，结果只告知移除了几个分组，不告知是哪些。主体计数与查询在同一计划中完成，HAVING、排序和 LIMIT 只作用于保留下来的分组。", "Every output group must cover at least k distinct entities of every dataset it reads (the strictest k wins); groups under k are removed, and the answer says how many, never which. The counting happens in the same plan, and HAVING, ORDER BY and LIMIT see only the groups that are left.";
    cleanroom_noise_text => "若数据集要求加噪，COUNT 和 SUM 会加入拉普拉斯噪声（数值先按所有者声明的范围截断，每个主体在每个数据集中最多计入所有者声明的行数），每次查询按其 ε 从预算中扣除，预算不足的查询被拒绝，每次结果都显示剩余预算。", "Where a dataset requires noise, COUNT and SUM get Laplace noise (values clamped to the bounds the owner declared, and at most the declared number of rows of one person or firm counted from each dataset), each query spends its ε from the budget, a query that would overspend is refused, and every answer shows the budget left.";
    cleanroom_differencing_text => "差分攻击：两条仅相差一个人的查询（例如“全区”与“全区减去某个月份”）之差可能指向一个人。k 阈值挡不住这种攻击，这正是噪声和 ε 预算的作用：每次查询都消耗预算，预算用完后不能再查询。", "Differencing: two queries whose difference is one person (all of a district, then all of it but one month) can point at that person. The k threshold cannot stop this; that is what noise and the ε budget are for: every query spends budget, and once it is spent no more noisy queries run.";
    cleanroom_mine => "我的融合计算", "My clean rooms";
    cleanroom_none => "还没有融合计算空间。", "No clean rooms yet.";
    cleanroom_apply => "申请融合计算", "Apply for a clean room";
    cleanroom_available => "可参与融合计算的数据集", "Datasets open to clean rooms";
    cleanroom_available_none => "还没有数据集声明融合计算策略。", "No dataset has a clean-room policy yet.";
    cleanroom_table => "表名", "Table";
    cleanroom_entity_columns => "主体列", "Entity columns";
    cleanroom_join_keys => "允许的连接键", "Allowed join keys";
    cleanroom_min_entities => "每组最少主体数 k", "Fewest entities per group (k)";
    cleanroom_noise => "加噪", "Noise";
    cleanroom_ready => "可以查询", "Ready";
    cleanroom_waiting => "等待审核", "Waiting for review";
    cleanroom_budget => "ε 预算", "ε budget";
    cleanroom_spent => "已用 ε", "ε spent";
    cleanroom_left => "剩余 ε", "ε left";
    cleanroom_queries => "查询次数", "Queries";
    cleanroom_query_title => "编写查询", "Write a query";
    cleanroom_sql => "SQL 查询", "SQL query";
    cleanroom_epsilon => "本次 ε（仅在加噪时扣除，默认 0.1）", "ε of this query (spent only with noise; 0.1 by default)";
    cleanroom_run => "运行查询", "Run the query";
    cleanroom_result => "结果", "Result";
    cleanroom_suppressed => "因覆盖主体少于 k 而移除的分组", "Groups removed for covering fewer than k entities";
    cleanroom_epsilon_spent => "本次消耗 ε", "ε spent by this query";
    cleanroom_log => "访问日志条目", "Access-log entries";
    cleanroom_columns => "可用列", "Columns";
    cleanroom_role => "用途", "Role";
    cleanroom_datasets => "数据集", "Datasets";
    cleanroom_application => "申请", "Application";
    cleanroom_grant => "授权", "Grant";
    cleanroom_policy_title => "融合计算策略", "Clean-room policy";
    cleanroom_policy_none => "数据所有者尚未声明融合计算策略，此数据集暂不能参与融合计算。", "The owner has not declared a clean-room policy, so this dataset cannot be fused yet.";
    cleanroom_policy_save => "保存策略", "Save the policy";
    cleanroom_policy_help => "列名用逗号分隔；取值范围每行一列：列名 下限 上限。", "Column names separated by commas; bounds one column per line: name lower upper.";
    cleanroom_bounds => "取值范围", "Bounds";
    cleanroom_max_rows => "每个主体最多行数", "Most rows per entity";
    cleanroom_use_dataset => "融合此数据集", "Fuse this dataset";
    cleanroom_budget_ask => "申请的 ε 预算（最大 10）", "ε budget asked for (at most 10)";
    cleanroom_title_field => "标题", "Title";
    cleanroom_applied => "已提交融合计算申请，各数据集的所有者将分别审核。", "Applied: each dataset's owner reviews its part.";
    cleanroom_policy_saved => "融合计算策略已保存。", "The clean-room policy was saved.";
    cleanroom_holder_only => "只有融合计算空间的申请方可以查询；数据所有者可在访问日志中查看其使用情况。", "Only the clean room's holder can query it; owners see its use in the access log.";
    cleanroom_not_ready_text => "所有数据集的授权都生效后才能查询。", "Queries can run once every dataset's grant is active.";
    cleanroom_sign_in => "登录后可申请和使用融合计算。", "Sign in to apply for and use clean rooms.";
    cleanroom_rule => "规则", "Rule";
    cleanroom_declared_at => "声明时间", "Declared";
    cleanroom_own_data => "本单位数据，无需申请", "Our own data: no application needed";
    cleanroom_truncated => "结果超过行数上限，只显示前面的分组。", "The result has more groups than one answer may hold; the first ones are shown.";
    dictionary => "数据字典", "Data dictionary";
    dictionary_edit => "编辑数据字典", "Edit the data dictionary";
    dictionary_help => "说明每个字段的含义、单位和口径，并标明能唯一确定一行的主键字段。字段说明公开展示，计入元数据质量；主键从下一次上传起检查，重复或为空的主键会扣减唯一性得分。", "Say what each column holds, its unit and how it is counted, and mark the columns that together identify a row (the key). Descriptions are public and count in the metadata quality; the key is checked from the next upload on, and repeated or empty keys cost uniqueness points.";
    dictionary_key => "主键", "Key";
    dictionary_order => "行顺序", "Row order";
    dictionary_order_none => "不指定行顺序", "No row order";
    dictionary_order_help => "可选一列作为行顺序：此后上传的版本按该列升序存放（空值在后），按该列筛选或排序的查询只读取需要的部分；已有版本由管理员用 gongshu versions rewrite 重写后生效。", "You may choose one column as the row order: versions uploaded from then on are stored sorted by it (ascending, empty cells last), so that queries filtering or sorting on it read only what they need; existing versions follow once an administrator runs gongshu versions rewrite.";
    dictionary_described => "已说明字段", "Columns described";
    dictionary_no_version => "上传第一个版本后才能编辑数据字典。", "Upload a first version to edit the data dictionary.";
    dictionary_saved => "数据字典已保存。", "The data dictionary was saved.";
}

/// The Chinese explanation of an error code shown in the portal; the English message of the
/// error follows it for detail (it names lines, columns and limits). `None` for codes whose
/// English message is shown alone.
pub fn error_zh(code: &str) -> Option<&'static str> {
    Some(match code {
        "invalid_file_name" => "文件名无效：不能包含路径分隔符或“..”，请重命名后再上传。",
        "unsupported_format" => {
            "不支持的文件格式，请上传 CSV、TSV、XLSX、XLS、JSON、NDJSON 或 Parquet 文件。"
        }
        "not_an_image" => "照片不是 JPEG、PNG 或 WebP 图片。",
        "image_too_large" => "图片尺寸过大（每边最多 10000 像素）。",
        "image_damaged" => "图片已损坏，无法读取。",
        "photo_too_large" => "照片超过 5 MiB。",
        "too_many_photos" => "最多上传 3 张照片。",
        "invalid_location" => {
            "位置无效：经纬度须在范围内（纬度 −90 至 90，经度 −180 至 180），或填写地址。"
        }
        "invalid_attribute" => "附加问题的回答无效。",
        "feedback_not_found" => "没有这条诉求。",
        "service_not_found" => "没有这个诉求类别。",
        "feedback_not_closed" => "诉求尚未办结，还不能评价。",
        "already_rated" => "这条诉求已经评价过了。",
        "reopen_not_allowed" => "不能重新办理：只能在办结后 30 天内申请一次。",
        "file_too_large" => "文件超过大小上限，请拆分后上传或联系管理员。",
        "empty_file" => "文件是空的，请检查后重新上传。",
        "no_rows" => "文件只有表头、没有数据行。",
        "content_mismatch" => "文件内容与扩展名不符，请确认文件格式。",
        "undetectable_encoding" => "无法识别文件编码，请另存为 UTF-8 或 GBK 后上传。",
        "ragged_rows" => "各行字段数不一致，请检查分隔符和引号。",
        "duplicate_column" => "存在重名的列，请修改表头使列名唯一。",
        "empty_column_name" => "存在空列名，请补全表头。",
        "too_many_columns" => "列数过多。",
        "record_too_large" => "某一行过长，文件可能已损坏。",
        "zip_bomb" => "表格文件解压后过大，已拒绝。",
        "corrupt_spreadsheet" => "表格文件已损坏或加密，请另存后重新上传。",
        "corrupt_parquet" => "Parquet 文件不完整或已损坏。",
        "invalid_json" => "JSON 格式错误。",
        "forbidden" => "没有权限执行此操作：只有数据集所属单位的工作人员或数据管理部门可以修改。",
        "csrf_failed" => "表单已过期或来源不明，请刷新页面后重新提交。",
        "invalid_field" | "invalid_name" | "bad_request" => "提交的内容有误，请按提示修改。",
        "opening_type_not_allowed" => "当前字段分级不允许这一开放属性。",
        "name_taken" => "该名称已被使用，请换一个。",
        "dataset_not_found" | "resource_not_found" | "not_found" => "找不到所请求的内容。",
        "already_decided" => "该事项已经处理过，请刷新查看当前状态。",
        "stale_request" => "申请提交后分级已变化，请驳回后由发布方重新申请。",
        "missing_file" => "请选择要上传的文件。",
        "application_not_found" => "找不到该申请。",
        "grant_not_found" => "找不到该授权。",
        "result_not_found" => "找不到该成果。",
        "no_data" => "该数据集还没有数据。",
        "no_access" => "您无权查看该数据集的数据行，可在数据集页面申请使用。",
        "quota_exhausted" => "授权的当日行数额度已用完，北京时间零点后恢复。",
        "cleanroom_refused" => "查询不符合融合计算规则，已拒绝。",
        "cleanroom_not_ready" => "融合计算空间尚不能查询：还有数据集的授权未生效。",
        "budget_exhausted" => "ε 隐私预算不足，本次查询未执行。",
        "no_cleanroom_policy" => "有数据集尚未声明融合计算策略，暂不能参与融合计算。",
        "invalid_policy" => "融合计算策略无效。",
        "cleanroom_not_found" => "找不到这个融合计算空间。",
        "not_accepting_applications" => "该数据集不予开放，不受理申请。",
        "invalid_terms" => "申请内容有误，请按提示修改。",
        "agreement_mismatch" => "数据使用协议已更新，请阅读新版本后重新提交。",
        "sql_syntax" => "SQL 语法错误。",
        "sql_not_select" => "只允许执行一条 SELECT 查询。",
        "sql_multiple_statements" => "一次只能执行一条 SQL 语句。",
        "table_not_found" => "表不存在或您无权读取。",
        "column_not_found" => "字段不存在或您无权查看。",
        "bad_filter" | "bad_sort" | "bad_aggregate" | "type_mismatch" | "query_failed" => {
            "查询条件有误，请按提示修改。"
        }
        "query_timeout" => "查询超时，请缩小范围后重试。",
        "query_memory" => "查询所需内存超过上限，请缩小范围后重试。",
        "too_many_rows" => "结果行数超过下载上限，请增加筛选条件。",
        "personal_information" => {
            "内容中含有个人信息（身份证号、银行卡号或手机号），需求和评论会公开，请删除后再提交。"
        }
        "demand_not_found" => "找不到这条数据需求。",
        "already_supported" => "您已经支持过这条需求，每人只能支持一次。",
        "demand_closed" => "这条需求已办结或合并，不再接受支持和评论。",
        "consultation_not_found" => "没有这项意见征集。",
        "comment_not_found" => "没有这条意见。",
        "consultation_not_open" => "意见征集不在进行中，不能发表、修改或支持意见。",
        "consultation_not_closed" => "意见征集截止后才能反馈意见。",
        "unanswered_comments" => "还有意见未反馈，全部反馈后才能公布结果。",
        "reward_not_found" => "找不到该奖品。",
        "redemption_not_found" => "找不到该兑换记录。",
        "not_enough_points" => "可用积分不足，不能兑换该奖品。",
        "out_of_stock" => "该奖品已兑完。",
        "reward_unavailable" => "该奖品不在兑换期内。",
        "redemption_limit" => "您兑换该奖品的次数已达上限。",
        "already_cancelled" => "该兑换已经撤销。",
        "activity_not_found" => "找不到该活动。",
        "activity_closed" => "活动不在进行中，不能答题。",
        "no_attempts_left" => "答题次数已用完。",
        _ => return None,
    })
}

/// A portal error message in the visitor's language.
pub fn error_message(lang: Lang, error: &app::AppError) -> String {
    match (lang, error_zh(error.public_code())) {
        (Lang::Zh, Some(zh)) => format!("{zh}（{}）", error.message),
        _ => error.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_chinese_and_cookie_wins() {
        let headers = HeaderMap::new();
        assert_eq!(Lang::from_request(&CookieJar::new(), &headers), Lang::Zh);
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            "en-US,en;q=0.9".parse().unwrap(),
        );
        assert_eq!(
            Lang::from_request(&CookieJar::new(), &h),
            Lang::Zh,
            "Chinese unless chosen"
        );
        let jar = CookieJar::new().add(axum_extra::extract::cookie::Cookie::new(LANG_COOKIE, "en"));
        assert_eq!(Lang::from_request(&jar, &h), Lang::En);
        assert_eq!(Tr(Lang::En).login(), "Sign in");
        let e = app::AppError::new(app::Code::Forbidden, "Only staff may.");
        assert!(error_message(Lang::Zh, &e).starts_with("没有权限"));
        assert_eq!(error_message(Lang::En, &e), "Only staff may.");
        for code in [
            "ragged_rows",
            "undetectable_encoding",
            "zip_bomb",
            "empty_file",
            "no_rows",
            "duplicate_column",
        ] {
            assert!(error_zh(code).is_some(), "{code} has no Chinese message");
        }
        assert_eq!(Tr(Lang::Zh).login(), "登录");
    }
}
