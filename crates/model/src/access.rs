//! The access decision of DESIGN.md C5: who sees which column of a dataset, in what form.
//!
//! [`decide`] is the only place this is worked out. Every data path (preview, REST query, SQL,
//! downloads, the CKAN DataStore actions) asks it for a [`Decision`] and builds its query plan
//! from that decision, so the rule lives here once and nowhere else.
//!
//! The rules, column by column:
//!
//! | column grade | anyone, unconditional dataset | active grant covering the column | clean room under a grant |
//! |---|---|---|---|
//! | L1 | raw | raw | raw |
//! | L2 | absent | raw | raw |
//! | L3 | absent | masked | only inside aggregates |
//! | L4 | absent | absent, or masked if the grant names it and the authority approved | equality join key only |
//!
//! A conditional or not-open dataset shows no rows without a grant. A not-open dataset honours no
//! grant at all, and important and core data (重要数据, 核心数据) count as not open whatever
//! opening type is recorded for them (C3). The owning organization's publishing staff see their
//! own datasets raw; nobody else is exempt, the authority and auditors included.

use crate::classification::{Grade, Importance, OpeningType};
use crate::filter::Condition;
use crate::pii::PiiKind;
use crate::role::Role;
use serde::{Deserialize, Serialize};

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    /// The signed-in user, if any.
    pub user_id: Option<String>,
    /// The user's role; `None` for an anonymous visitor.
    pub role: Option<Role>,
    /// The user's organization, for roles bound to one.
    pub org_id: Option<String>,
}

impl Principal {
    /// An anonymous visitor.
    pub fn anonymous() -> Self {
        Principal::default()
    }

    /// Whether this principal publishes for the organization `org_id` (and so sees its data raw).
    pub fn owns(&self, org_id: &str) -> bool {
        matches!(self.role, Some(role) if role.publishes())
            && self.org_id.as_deref() == Some(org_id)
    }
}

/// How the data will leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Preview, REST query, SQL, aggregates and the CKAN DataStore actions.
    Api,
    /// File downloads.
    Download,
    /// Clean-room queries (C6).
    CleanRoom,
}

impl Mode {
    /// Every mode.
    pub const ALL: &'static [Mode] = &[Mode::Api, Mode::Download, Mode::CleanRoom];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Mode::Api => "api",
            Mode::Download => "download",
            Mode::CleanRoom => "clean_room",
        }
    }

    /// Parses a stable code.
    pub fn from_code(s: &str) -> Option<Mode> {
        Mode::ALL.iter().copied().find(|m| m.code() == s)
    }

    /// Label in the given language.
    pub fn label(self, lang: &str) -> &'static str {
        match (self, lang == "en") {
            (Mode::Api, true) => "API",
            (Mode::Api, false) => "接口调用",
            (Mode::Download, true) => "Download",
            (Mode::Download, false) => "文件下载",
            (Mode::CleanRoom, true) => "Clean room",
            (Mode::CleanRoom, false) => "融合计算（可用不可见）",
        }
    }
}

/// How a masked column is masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mask", content = "kind")]
pub enum Mask {
    /// The default mask of a kind of personal information (C3).
    Pii(PiiKind),
    /// A column graded sensitive without a recognised kind: every value becomes `***`.
    Redact,
}

impl Mask {
    /// The mask for a column from what ingest found in it: the kind matched most often, or a
    /// full redaction when nothing personal was recognised.
    pub fn for_findings<'a>(
        findings: impl IntoIterator<Item = &'a crate::pii::PiiFinding>,
    ) -> Mask {
        findings
            .into_iter()
            .filter(|f| f.kind.is_personal() && f.matches > 0)
            .max_by_key(|f| f.matches)
            .map(|f| Mask::Pii(f.kind))
            .unwrap_or(Mask::Redact)
    }

    /// Masks one value.
    pub fn apply(self, value: &str) -> String {
        let mut out = String::new();
        self.apply_into(value, &mut out);
        out
    }

    /// Appends the masked form of one value to `out`.
    pub fn apply_into(self, value: &str, out: &mut String) {
        match self {
            Mask::Pii(kind) => crate::mask::mask_into(kind, value, out),
            Mask::Redact => out.push_str("***"),
        }
    }
}

/// One column as the policy sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPolicy {
    /// Column name.
    pub name: String,
    /// Its grade.
    pub grade: Grade,
    /// How to mask it where a verdict says masked.
    pub mask: Mask,
}

/// A dataset as the policy sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetPolicy {
    /// Dataset id.
    pub dataset_id: String,
    /// Owning organization.
    pub owner_org_id: String,
    /// 开放属性.
    pub opening_type: OpeningType,
    /// 重要数据 / 核心数据.
    pub importance: Importance,
    /// Its columns.
    pub columns: Vec<ColumnPolicy>,
}

/// Who holds a grant: one person, or an organization (an enterprise or a department).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Grantee {
    /// A user applying as an individual.
    User(String),
    /// An organization; every user bound to it holds the grant.
    Org(String),
}

impl Grantee {
    /// Whether `principal` holds grants made to this grantee.
    pub fn includes(&self, principal: &Principal) -> bool {
        match self {
            Grantee::User(id) => principal.user_id.as_deref() == Some(id.as_str()),
            Grantee::Org(id) => principal.org_id.as_deref() == Some(id.as_str()),
        }
    }
}

/// A grant as the policy sees it (C4).
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    /// Grant id.
    pub id: String,
    /// The dataset it covers.
    pub dataset_id: String,
    /// Who holds it.
    pub grantee: Grantee,
    /// The columns it covers.
    pub columns: Vec<String>,
    /// Whether the authority approved the L4 columns it names for masked use.
    pub l4_masked_approved: bool,
    /// Conditions every row must meet (all of them).
    pub row_filter: Vec<Condition>,
    /// Ways the data may leave under it.
    pub modes: Vec<Mode>,
    /// Unix milliseconds, inclusive.
    pub valid_from: i64,
    /// Unix milliseconds, exclusive.
    pub valid_until: i64,
    /// Unix milliseconds when revoked.
    pub revoked_at: Option<i64>,
    /// Rows per day; `None` for no quota.
    pub daily_row_quota: Option<i64>,
    /// Rows already delivered under it today.
    pub rows_used_today: i64,
}

/// Where a grant stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantState {
    /// Usable.
    Active,
    /// Its validity has not begun.
    Pending,
    /// Its validity has ended.
    Expired,
    /// Revoked.
    Revoked,
}

impl Grant {
    /// The state at `now` (Unix milliseconds). Revocation wins over everything.
    pub fn state(&self, now: i64) -> GrantState {
        if self.revoked_at.is_some_and(|at| at <= now) {
            GrantState::Revoked
        } else if now < self.valid_from {
            GrantState::Pending
        } else if now >= self.valid_until {
            GrantState::Expired
        } else {
            GrantState::Active
        }
    }

    /// Rows still allowed today; `None` for no quota.
    pub fn quota_remaining(&self) -> Option<i64> {
        self.daily_row_quota
            .map(|q| (q - self.rows_used_today).max(0))
    }

    fn covers(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }
}

/// What one column becomes for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    /// The stored value.
    Raw,
    /// The masked value.
    Masked {
        /// Which mask.
        #[serde(flatten)]
        mask: Mask,
    },
    /// The column does not exist for this request.
    Absent,
    /// Usable only inside an aggregate (clean room).
    AggregateOnly,
    /// Usable only as a pseudonymized equality join key, never output (clean room).
    JoinKeyOnly,
}

impl Verdict {
    /// Whether a value derived from the column may appear in output rows as such.
    pub fn is_visible(self) -> bool {
        matches!(self, Verdict::Raw | Verdict::Masked { .. })
    }
}

/// Why rows may be read at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "basis", content = "grant_id")]
pub enum Basis {
    /// The caller's organization owns the dataset.
    Owner,
    /// The dataset is unconditionally open.
    Open,
    /// An active grant, by id.
    Grant(String),
    /// No rows may be read.
    None,
}

/// The outcome of [`decide`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// Verdict for each column of the dataset, in the dataset's order.
    pub columns: Vec<(String, Verdict)>,
    /// Conditions every returned row must meet.
    pub row_filter: Vec<Condition>,
    /// Why rows may be read.
    pub basis: Basis,
    /// Rows still allowed today under the grant used; `None` for no quota.
    pub quota_remaining: Option<i64>,
}

impl Decision {
    /// Whether any rows may be read.
    pub fn rows_allowed(&self) -> bool {
        self.basis != Basis::None && self.quota_remaining != Some(0)
    }

    /// The verdict for one column (`Absent` for a column the dataset does not have).
    pub fn verdict(&self, column: &str) -> Verdict {
        self.columns
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, v)| *v)
            .unwrap_or(Verdict::Absent)
    }

    /// The columns that appear in output, with their verdicts, in order.
    pub fn visible(&self) -> impl Iterator<Item = (&str, Verdict)> {
        self.columns
            .iter()
            .filter(|(_, v)| v.is_visible())
            .map(|(n, v)| (n.as_str(), *v))
    }
}

/// One access question.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// Who asks.
    pub principal: &'a Principal,
    /// The dataset.
    pub dataset: &'a DatasetPolicy,
    /// Grants that may apply (the decision ignores any that do not).
    pub grants: &'a [Grant],
    /// The columns the caller wants, if it said; used only to choose among grants.
    pub wanted: Option<&'a [String]>,
    /// How the data will leave.
    pub mode: Mode,
    /// Unix milliseconds.
    pub now: i64,
}

/// Whether the dataset is closed to everyone but its owner, grants included: not open, or
/// important or core data, which C3 never opens whatever opening type a record carries.
fn closed(dataset: &DatasetPolicy) -> bool {
    dataset.opening_type == OpeningType::NotOpen || dataset.importance != Importance::Ordinary
}

/// Whether the dataset's rows are open to anyone without a grant.
fn open_to_all(dataset: &DatasetPolicy) -> bool {
    dataset.opening_type == OpeningType::Unconditional && !closed(dataset)
}

/// The verdict for a column without a grant.
fn public_verdict(dataset: &DatasetPolicy, column: &ColumnPolicy, mode: Mode) -> Verdict {
    if mode != Mode::CleanRoom && open_to_all(dataset) && column.grade == Grade::L1 {
        Verdict::Raw
    } else {
        Verdict::Absent
    }
}

/// The verdict for a column under a grant that covers it.
fn granted_verdict(grant: &Grant, column: &ColumnPolicy, mode: Mode) -> Verdict {
    match (mode, column.grade) {
        (_, Grade::L1 | Grade::L2) => Verdict::Raw,
        (Mode::CleanRoom, Grade::L3) => Verdict::AggregateOnly,
        (Mode::CleanRoom, Grade::L4) => Verdict::JoinKeyOnly,
        (_, Grade::L3) => Verdict::Masked { mask: column.mask },
        (_, Grade::L4) if grant.l4_masked_approved => Verdict::Masked { mask: column.mask },
        (_, Grade::L4) => Verdict::Absent,
    }
}

/// Decides what the principal may see of the dataset.
pub fn decide(req: AccessRequest<'_>) -> Decision {
    let dataset = req.dataset;
    if req.principal.owns(&dataset.owner_org_id) {
        return Decision {
            columns: dataset
                .columns
                .iter()
                .map(|c| (c.name.clone(), Verdict::Raw))
                .collect(),
            row_filter: Vec::new(),
            basis: Basis::Owner,
            quota_remaining: None,
        };
    }
    let public = Decision {
        columns: dataset
            .columns
            .iter()
            .map(|c| (c.name.clone(), public_verdict(dataset, c, req.mode)))
            .collect(),
        row_filter: Vec::new(),
        basis: if open_to_all(dataset) && req.mode != Mode::CleanRoom {
            Basis::Open
        } else {
            Basis::None
        },
        quota_remaining: None,
    };
    match choose_grant(&req, &public) {
        Some(grant) => Decision {
            columns: dataset
                .columns
                .iter()
                .map(|c| {
                    let verdict = if grant.covers(&c.name) {
                        granted_verdict(grant, c, req.mode)
                    } else if req.mode == Mode::CleanRoom {
                        Verdict::Absent
                    } else {
                        public_verdict(dataset, c, req.mode)
                    };
                    (c.name.clone(), verdict)
                })
                .collect(),
            row_filter: grant.row_filter.clone(),
            basis: Basis::Grant(grant.id.clone()),
            quota_remaining: grant.quota_remaining(),
        },
        None => public,
    }
}

/// Picks the one grant a request uses, if any.
///
/// Grants are never merged: each carries its own row filter and quota, and mixing the columns of
/// one with the rows of another would leak. Among the usable grants one whose daily quota is not
/// spent beats one whose quota is (a spent grant must not lock its holder out of another grant),
/// then the one that makes the most wanted columns visible wins (then the one valid longest, then
/// the smallest id, so the choice is deterministic). A grant that adds nothing to what the public
/// already sees is not used, so it cannot narrow the rows of open data or spend quota for nothing.
/// When only spent grants remain, one of them is still chosen so that the caller can tell the
/// user that the quota is exhausted.
fn choose_grant<'g>(req: &AccessRequest<'g>, public: &Decision) -> Option<&'g Grant> {
    let dataset = req.dataset;
    if closed(dataset) {
        return None;
    }
    let wanted = |name: &str| req.wanted.is_none_or(|w| w.iter().any(|c| c == name));
    req.grants
        .iter()
        .filter(|g| {
            g.dataset_id == dataset.dataset_id
                && g.grantee.includes(req.principal)
                && g.state(req.now) == GrantState::Active
                && g.modes.contains(&req.mode)
        })
        .map(|g| {
            let gained = dataset
                .columns
                .iter()
                .filter(|c| wanted(&c.name) && g.covers(&c.name))
                .filter(|c| {
                    let granted = granted_verdict(g, c, req.mode);
                    granted != Verdict::Absent && granted != public.verdict(&c.name)
                })
                .count();
            (g, gained)
        })
        .filter(|(_, gained)| *gained > 0 || req.mode == Mode::CleanRoom)
        .max_by(|(a, ga), (b, gb)| {
            let can_deliver = |g: &Grant| g.quota_remaining() != Some(0);
            can_deliver(a)
                .cmp(&can_deliver(b))
                .then(ga.cmp(gb))
                .then(a.valid_until.cmp(&b.valid_until))
                .then(b.id.cmp(&a.id))
        })
        .map(|(g, _)| g)
}
