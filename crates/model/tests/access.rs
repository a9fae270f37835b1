//! Exhaustive tests of the access decision of DESIGN.md C5, [`model::access::decide`].
//!
//! Each area has one `check` helper so that its table reads like the spec: the situation on the
//! left, the rendered decision on the right. A decision renders as its columns in order, a bar,
//! then why rows may be read:
//!
//! ```text
//! l1=raw l2=raw l3=masked(mobile) l4=- | grant g quota=60 filter(region=A)
//! ```
//!
//! where `-` is absent, `agg` usable only inside aggregates, `join` usable only as a
//! pseudonymized join key, and `rows=no` is appended when a grant allows no rows (quota spent).
//! Every table check also runs with the grants in reverse order, so the selection of a grant is
//! shown not to depend on the order in which grants are listed.
//!
//! The property tests at the end check the same rules over random datasets, principals, grants,
//! modes and times.

use model::access::{
    decide, AccessRequest, Basis, ColumnPolicy, DatasetPolicy, Decision, Grant, GrantState,
    Grantee, Mask, Mode, Principal, Verdict,
};
use model::filter::{Condition, Literal, Op};
use model::pii::{PiiFinding, PiiKind};
use model::{Grade, Importance, OpeningType, Role};

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const NOW: i64 = 1_750_000_000_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// The department that owns the datasets of most tables.
const DEPT: &str = "dept-transport";
/// Another department.
const OTHER_DEPT: &str = "dept-health";
/// A third department.
const THIRD_DEPT: &str = "dept-education";
/// An enterprise (owner of the enterprise datasets, grantee of org grants).
const ENT: &str = "ent-acme";
/// Another enterprise.
const OTHER_ENT: &str = "ent-globex";
/// The data authority's own organization.
const AUTHORITY: &str = "authority";

fn anonymous() -> Principal {
    Principal::anonymous()
}

fn user(id: &str, role: Role, org: Option<&str>) -> Principal {
    Principal {
        user_id: Some(id.into()),
        role: Some(role),
        org_id: org.map(Into::into),
    }
}

fn citizen() -> Principal {
    user("u-citizen", Role::Citizen, None)
}

fn enterprise_user(id: &str, org: &str) -> Principal {
    user(id, Role::Enterprise, Some(org))
}

fn staff(id: &str, org: &str) -> Principal {
    user(id, Role::Staff, Some(org))
}

fn admin() -> Principal {
    user("u-admin", Role::Authority, Some(AUTHORITY))
}

fn auditor() -> Principal {
    user("u-auditor", Role::Auditor, None)
}

fn column(name: &str, grade: Grade, mask: Mask) -> ColumnPolicy {
    ColumnPolicy {
        name: name.into(),
        grade,
        mask,
    }
}

/// One column of each grade: `l1`, `l2`, `l3` (a mobile number), `l4` (a citizen ID).
fn four_columns() -> Vec<ColumnPolicy> {
    vec![
        column("l1", Grade::L1, Mask::Redact),
        column("l2", Grade::L2, Mask::Redact),
        column("l3", Grade::L3, Mask::Pii(PiiKind::Mobile)),
        column("l4", Grade::L4, Mask::Pii(PiiKind::CitizenId)),
    ]
}

fn dataset(owner: &str, opening_type: OpeningType, importance: Importance) -> DatasetPolicy {
    DatasetPolicy {
        dataset_id: "ds".into(),
        owner_org_id: owner.into(),
        opening_type,
        importance,
        columns: four_columns(),
    }
}

/// An active grant `id` of dataset `ds`, valid from a day ago to a day from now, without quota,
/// row filter or L4 approval.
fn grant(id: &str, grantee: Grantee, columns: &[&str], modes: &[Mode]) -> Grant {
    Grant {
        id: id.into(),
        dataset_id: "ds".into(),
        grantee,
        columns: columns.iter().map(|c| c.to_string()).collect(),
        l4_masked_approved: false,
        row_filter: Vec::new(),
        modes: modes.to_vec(),
        valid_from: NOW - DAY,
        valid_until: NOW + DAY,
        revoked_at: None,
        daily_row_quota: None,
        rows_used_today: 0,
    }
}

/// A grant to the citizen of [`citizen`].
fn citizen_grant(id: &str, columns: &[&str]) -> Grant {
    grant(id, Grantee::User("u-citizen".into()), columns, Mode::ALL)
}

fn region(value: &str) -> Condition {
    Condition {
        column: "region".into(),
        op: Op::Eq,
        value: Some(Literal::Str(value.into())),
    }
}

fn with_filter(mut g: Grant, value: &str) -> Grant {
    g.row_filter = vec![region(value)];
    g
}

const ALL: &[&str] = &["l1", "l2", "l3", "l4"];

// ---------------------------------------------------------------------------------------------
// Rendering and the common check
// ---------------------------------------------------------------------------------------------

fn verdict_code(verdict: Verdict) -> String {
    match verdict {
        Verdict::Raw => "raw".into(),
        Verdict::Masked {
            mask: Mask::Pii(kind),
        } => format!("masked({})", kind.code()),
        Verdict::Masked { mask: Mask::Redact } => "masked(***)".into(),
        Verdict::Absent => "-".into(),
        Verdict::AggregateOnly => "agg".into(),
        Verdict::JoinKeyOnly => "join".into(),
    }
}

fn condition_code(c: &Condition) -> String {
    let value = match &c.value {
        Some(Literal::Str(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    format!(
        "filter({}{}{value})",
        c.column,
        if c.op == Op::Eq { "=" } else { c.op.code() }
    )
}

fn render(d: &Decision) -> String {
    let mut out: Vec<String> = d
        .columns
        .iter()
        .map(|(name, v)| format!("{name}={}", verdict_code(*v)))
        .collect();
    out.push("|".into());
    out.push(match &d.basis {
        Basis::Owner => "owner".into(),
        Basis::Open => "open".into(),
        Basis::Grant(id) => format!("grant {id}"),
        Basis::None => "none".into(),
    });
    if let Some(q) = d.quota_remaining {
        out.push(format!("quota={q}"));
    }
    out.extend(d.row_filter.iter().map(condition_code));
    if d.basis != Basis::None && !d.rows_allowed() {
        out.push("rows=no".into());
    }
    out.join(" ")
}

/// Decides, checks that the order of the grants does not matter, and renders.
fn run(
    principal: &Principal,
    dataset: &DatasetPolicy,
    grants: &[Grant],
    wanted: Option<&[&str]>,
    mode: Mode,
    now: i64,
) -> (Decision, String) {
    let wanted: Option<Vec<String>> = wanted.map(|w| w.iter().map(|c| c.to_string()).collect());
    let ask = |grants: &[Grant]| {
        decide(AccessRequest {
            principal,
            dataset,
            grants,
            wanted: wanted.as_deref(),
            mode,
            now,
        })
    };
    let decision = ask(grants);
    let reversed: Vec<Grant> = grants.iter().rev().cloned().collect();
    assert_eq!(
        ask(&reversed),
        decision,
        "the order of the grants changed the decision"
    );
    // Invariants every decision keeps, whatever the table row.
    assert_eq!(
        decision.rows_allowed(),
        decision.basis != Basis::None && decision.quota_remaining != Some(0)
    );
    if decision.basis == Basis::None {
        assert!(
            decision.columns.iter().all(|(_, v)| *v == Verdict::Absent),
            "{decision:?}"
        );
    }
    let rendered = render(&decision);
    (decision, rendered)
}

fn assert_rendered(actual: &str, expect: &str, context: impl std::fmt::Debug) {
    assert_eq!(actual, expect, "\n  for {context:?}");
}

// ---------------------------------------------------------------------------------------------
// 1. The C5 table: every grade × opening type × (no grant | active grant | L4-approved grant)
//    × mode (api, download, clean room)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Held {
    /// No grant at all.
    Nothing,
    /// An active grant naming every column, in every mode.
    Grant,
    /// The same, with the authority's approval of masked use of the L4 column it names.
    GrantL4Approved,
}

fn check_table(opening: OpeningType, held: Held, mode: Mode, expect: &str) {
    let ds = dataset(DEPT, opening, Importance::Ordinary);
    let grants = match held {
        Held::Nothing => vec![],
        Held::Grant => vec![citizen_grant("g", ALL)],
        Held::GrantL4Approved => {
            vec![Grant {
                l4_masked_approved: true,
                ..citizen_grant("g", ALL)
            }]
        }
    };
    let (_, actual) = run(&citizen(), &ds, &grants, None, mode, NOW);
    assert_rendered(&actual, expect, (opening, held, mode));
}

#[test]
#[rustfmt::skip]
fn c5_table() {
    use Held::*;
    use Mode::*;
    use OpeningType::*;
    // Without a grant: an unconditional dataset's L1 columns to anyone; nothing else, and the
    // clean room needs a grant whatever the opening type.
    check_table(Unconditional, Nothing,         Api,       "l1=raw l2=- l3=- l4=- | open");
    check_table(Unconditional, Nothing,         Download,  "l1=raw l2=- l3=- l4=- | open");
    check_table(Unconditional, Nothing,         CleanRoom, "l1=- l2=- l3=- l4=- | none");
    check_table(Conditional,   Nothing,         Api,       "l1=- l2=- l3=- l4=- | none");
    check_table(Conditional,   Nothing,         Download,  "l1=- l2=- l3=- l4=- | none");
    check_table(Conditional,   Nothing,         CleanRoom, "l1=- l2=- l3=- l4=- | none");
    check_table(NotOpen,       Nothing,         Api,       "l1=- l2=- l3=- l4=- | none");
    check_table(NotOpen,       Nothing,         Download,  "l1=- l2=- l3=- l4=- | none");
    check_table(NotOpen,       Nothing,         CleanRoom, "l1=- l2=- l3=- l4=- | none");

    // An active grant covering the column: L1, L2 raw; L3 masked; L4 absent. In the clean room:
    // L1, L2 raw; L3 only inside aggregates; L4 only as a join key. A not-open dataset honours
    // no grant.
    check_table(Unconditional, Grant,           Api,       "l1=raw l2=raw l3=masked(mobile) l4=- | grant g");
    check_table(Unconditional, Grant,           Download,  "l1=raw l2=raw l3=masked(mobile) l4=- | grant g");
    check_table(Unconditional, Grant,           CleanRoom, "l1=raw l2=raw l3=agg l4=join | grant g");
    check_table(Conditional,   Grant,           Api,       "l1=raw l2=raw l3=masked(mobile) l4=- | grant g");
    check_table(Conditional,   Grant,           Download,  "l1=raw l2=raw l3=masked(mobile) l4=- | grant g");
    check_table(Conditional,   Grant,           CleanRoom, "l1=raw l2=raw l3=agg l4=join | grant g");
    check_table(NotOpen,       Grant,           Api,       "l1=- l2=- l3=- l4=- | none");
    check_table(NotOpen,       Grant,           Download,  "l1=- l2=- l3=- l4=- | none");
    check_table(NotOpen,       Grant,           CleanRoom, "l1=- l2=- l3=- l4=- | none");

    // The authority approved masked use of the L4 column the grant names: L4 masked, except in
    // the clean room, where it stays a join key only.
    check_table(Unconditional, GrantL4Approved, Api,       "l1=raw l2=raw l3=masked(mobile) l4=masked(citizen_id) | grant g");
    check_table(Unconditional, GrantL4Approved, Download,  "l1=raw l2=raw l3=masked(mobile) l4=masked(citizen_id) | grant g");
    check_table(Unconditional, GrantL4Approved, CleanRoom, "l1=raw l2=raw l3=agg l4=join | grant g");
    check_table(Conditional,   GrantL4Approved, Api,       "l1=raw l2=raw l3=masked(mobile) l4=masked(citizen_id) | grant g");
    check_table(Conditional,   GrantL4Approved, Download,  "l1=raw l2=raw l3=masked(mobile) l4=masked(citizen_id) | grant g");
    check_table(Conditional,   GrantL4Approved, CleanRoom, "l1=raw l2=raw l3=agg l4=join | grant g");
    check_table(NotOpen,       GrantL4Approved, Api,       "l1=- l2=- l3=- l4=- | none");
    check_table(NotOpen,       GrantL4Approved, Download,  "l1=- l2=- l3=- l4=- | none");
    check_table(NotOpen,       GrantL4Approved, CleanRoom, "l1=- l2=- l3=- l4=- | none");
}

/// The same table column by column: a dataset of one column of each grade, a grant naming it.
fn check_cell(grade: Grade, opening: OpeningType, granted: bool, mode: Mode, expect: &str) {
    let ds = DatasetPolicy {
        columns: vec![column("c", grade, Mask::Redact)],
        ..dataset(DEPT, opening, Importance::Ordinary)
    };
    let grants = if granted {
        vec![citizen_grant("g", &["c"])]
    } else {
        vec![]
    };
    let (d, _) = run(&citizen(), &ds, &grants, None, mode, NOW);
    assert_rendered(
        &verdict_code(d.verdict("c")),
        expect,
        (grade, opening, granted, mode),
    );
}

#[test]
#[rustfmt::skip]
fn c5_table_cell_by_cell() {
    use Grade::*;
    use Mode::*;
    use OpeningType::*;
    for mode in [Api, Download] {
        //        grade opening        granted  mode  verdict
        check_cell(L1, Unconditional, false,   mode, "raw");
        check_cell(L2, Unconditional, false,   mode, "-");
        check_cell(L3, Unconditional, false,   mode, "-");
        check_cell(L4, Unconditional, false,   mode, "-");
        for opening in [Unconditional, Conditional] {
            check_cell(L1, opening,   true,    mode, "raw");
            check_cell(L2, opening,   true,    mode, "raw");
            check_cell(L3, opening,   true,    mode, "masked(***)");
            check_cell(L4, opening,   true,    mode, "-");
        }
    }
    for opening in [Unconditional, Conditional] {
        check_cell(L1, opening,       true,    CleanRoom, "raw");
        check_cell(L2, opening,       true,    CleanRoom, "raw");
        check_cell(L3, opening,       true,    CleanRoom, "agg");
        check_cell(L4, opening,       true,    CleanRoom, "join");
    }
    for grade in Grade::ALL {
        for mode in Mode::ALL {
            check_cell(*grade, Conditional, false, *mode,     "-");
            check_cell(*grade, NotOpen,     false, *mode,     "-");
            check_cell(*grade, NotOpen,     true,  *mode,     "-");
        }
        check_cell(*grade, Unconditional,   false, CleanRoom, "-");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Grant states: only an active grant of this dataset, for this principal, for these columns,
//    in this mode is honoured
// ---------------------------------------------------------------------------------------------

fn check_grant(g: Grant, mode: Mode, expect: &str) {
    let ds = dataset(DEPT, OpeningType::Conditional, Importance::Ordinary);
    let (_, actual) = run(&citizen(), &ds, std::slice::from_ref(&g), None, mode, NOW);
    assert_rendered(&actual, expect, (&g, mode));
}

#[test]
#[rustfmt::skip]
fn grant_states() {
    use Mode::*;
    let base = grant("g", Grantee::User("u-citizen".into()), &["l1", "l2", "l3"], &[Api, Download]);
    let granted = "l1=raw l2=raw l3=masked(mobile) l4=- | grant g";
    let nothing = "l1=- l2=- l3=- l4=- | none";
    let b = || base.clone();
    let state = |g: Grant| g.state(NOW);

    assert_eq!(state(b()), GrantState::Active);
    assert_eq!(state(Grant { valid_from: NOW + 1, ..b() }), GrantState::Pending);
    assert_eq!(state(Grant { valid_until: NOW, ..b() }), GrantState::Expired);
    assert_eq!(state(Grant { revoked_at: Some(NOW), ..b() }), GrantState::Revoked);
    assert_eq!(state(Grant { revoked_at: Some(NOW - 1), valid_until: NOW - 1, ..b() }), GrantState::Revoked);
    assert_eq!(state(Grant { revoked_at: Some(NOW - 1), valid_from: NOW + 1, ..b() }), GrantState::Revoked);

    // Active, in each of its modes.
    check_grant(b(),                                                           Api,       granted);
    check_grant(b(),                                                           Download,  granted);
    // Active from its first instant (valid_from is inclusive) to the last before valid_until.
    check_grant(Grant { valid_from: NOW, ..b() },                              Api,       granted);
    check_grant(Grant { valid_until: NOW + 1, ..b() },                         Api,       granted);
    // Pending: not valid yet.
    check_grant(Grant { valid_from: NOW + 1, ..b() },                          Api,       nothing);
    check_grant(Grant { valid_from: NOW + DAY, valid_until: NOW + 2 * DAY, ..b() }, Api,  nothing);
    // Expired: valid_until is exclusive.
    check_grant(Grant { valid_until: NOW, ..b() },                             Api,       nothing);
    check_grant(Grant { valid_from: NOW - 3 * DAY, valid_until: NOW - 2 * DAY, ..b() }, Download, nothing);
    // Revoked: before now, exactly now, after it had expired, before it began.
    check_grant(Grant { revoked_at: Some(NOW - HOUR), ..b() },                 Api,       nothing);
    check_grant(Grant { revoked_at: Some(NOW), ..b() },                        Download,  nothing);
    check_grant(Grant { revoked_at: Some(NOW - HOUR), valid_until: NOW - 1, ..b() }, Api, nothing);
    check_grant(Grant { revoked_at: Some(NOW - HOUR), valid_from: NOW + HOUR, ..b() }, Api, nothing);
    // Deciding for a moment before the revocation (e.g. replaying the log) still honours it.
    check_grant(Grant { revoked_at: Some(NOW + 1), ..b() },                    Api,       granted);
    // For another dataset.
    check_grant(Grant { dataset_id: "other".into(), ..b() },                   Api,       nothing);
    // For other columns: names the dataset does not have, none, or only an L4 column it may not
    // show. For part of the columns: only those.
    check_grant(Grant { columns: vec!["l9".into(), "L2".into()], ..b() },      Api,       nothing);
    check_grant(Grant { columns: vec![], ..b() },                              Api,       nothing);
    check_grant(Grant { columns: vec!["l4".into()], ..b() },                   Api,       nothing);
    check_grant(Grant { columns: vec!["l2".into()], ..b() },                   Api,       "l1=- l2=raw l3=- l4=- | grant g");
    // For another grantee: another person, an organization the citizen is not bound to, the
    // citizen's own id presented as an organization.
    check_grant(Grant { grantee: Grantee::User("u-other".into()), ..b() },     Api,       nothing);
    check_grant(Grant { grantee: Grantee::Org(ENT.into()), ..b() },            Api,       nothing);
    check_grant(Grant { grantee: Grantee::Org("u-citizen".into()), ..b() },    Api,       nothing);
    // Lacking the requested mode.
    check_grant(b(),                                                           CleanRoom, nothing);
    check_grant(Grant { modes: vec![Download], ..b() },                        Api,       nothing);
    check_grant(Grant { modes: vec![Api], ..b() },                             Download,  nothing);
    check_grant(Grant { modes: vec![CleanRoom], ..b() },                       Api,       nothing);
    check_grant(Grant { modes: vec![CleanRoom], ..b() },                       Download,  nothing);
    check_grant(Grant { modes: vec![], ..b() },                                Api,       nothing);
    check_grant(Grant { modes: vec![CleanRoom], ..b() },                       CleanRoom, "l1=raw l2=raw l3=agg l4=- | grant g");
}

/// An inactive grant does not hide an active one, whatever the order.
#[test]
fn unusable_grants_never_win() {
    let ds = dataset(DEPT, OpeningType::Conditional, Importance::Ordinary);
    let active = with_filter(citizen_grant("z-active", &["l2"]), "A");
    let wider = |id: &str, f: &dyn Fn(&mut Grant)| {
        let mut g = with_filter(citizen_grant(id, ALL), "B");
        g.l4_masked_approved = true;
        g.valid_until = NOW + 300 * DAY;
        f(&mut g);
        g
    };
    let unusable = [
        wider("a-pending", &|g| g.valid_from = NOW + 1),
        wider("a-expired", &|g| g.valid_until = NOW),
        wider("a-revoked", &|g| g.revoked_at = Some(NOW - 1)),
        wider("a-other-dataset", &|g| g.dataset_id = "other".into()),
        wider("a-other-grantee", &|g| {
            g.grantee = Grantee::User("u-other".into())
        }),
        wider("a-other-mode", &|g| g.modes = vec![Mode::Download]),
    ];
    let mut grants = unusable.to_vec();
    grants.push(active);
    let (_, actual) = run(&citizen(), &ds, &grants, None, Mode::Api, NOW);
    assert_eq!(
        actual,
        "l1=- l2=raw l3=- l4=- | grant z-active filter(region=A)"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Roles: the owner sees everything raw; nobody else is exempt
// ---------------------------------------------------------------------------------------------

fn check_role(
    who: &Principal,
    owner: &str,
    opening: OpeningType,
    importance: Importance,
    grants: &[Grant],
    mode: Mode,
    expect: &str,
) {
    let ds = dataset(owner, opening, importance);
    let (_, actual) = run(who, &ds, grants, None, mode, NOW);
    assert_rendered(&actual, expect, (who, owner, opening, importance, mode));
}

#[test]
#[rustfmt::skip]
fn roles_without_a_grant() {
    use Importance::*;
    use Mode::*;
    use OpeningType::*;
    let raw = "l1=raw l2=raw l3=raw l4=raw | owner";
    let open = "l1=raw l2=- l3=- l4=- | open";
    let none = "l1=- l2=- l3=- l4=- | none";
    let everyone_else = [
        anonymous(),
        citizen(),
        enterprise_user("u-acme", ENT),
        enterprise_user("u-globex", OTHER_ENT),
        staff("u-health", OTHER_DEPT),
        admin(),
        auditor(),
    ];

    // A department's dataset: its staff see it raw, in every mode, whatever its opening type
    // and importance.
    for opening in OpeningType::ALL {
        for importance in Importance::ALL {
            for mode in Mode::ALL {
                check_role(&staff("u-transport", DEPT), DEPT, *opening, *importance, &[], *mode, raw);
            }
        }
    }
    // Everyone else, the authority and auditors included: the public view.
    for who in &everyone_else {
        check_role(who, DEPT, Unconditional, Ordinary, &[], Api,       open);
        check_role(who, DEPT, Unconditional, Ordinary, &[], Download,  open);
        check_role(who, DEPT, Unconditional, Ordinary, &[], CleanRoom, none);
        for mode in Mode::ALL {
            check_role(who, DEPT, Conditional,   Ordinary,  &[], *mode, none);
            check_role(who, DEPT, NotOpen,       Ordinary,  &[], *mode, none);
            check_role(who, DEPT, NotOpen,       Important, &[], *mode, none);
            check_role(who, DEPT, NotOpen,       Core,      &[], *mode, none);
        }
    }

    // An enterprise's dataset: its enterprise users see it raw; users of another enterprise,
    // department staff, the authority and auditors do not.
    check_role(&enterprise_user("u-acme", ENT),         ENT, Conditional,   Ordinary, &[], Api,      raw);
    check_role(&enterprise_user("u-acme-2", ENT),       ENT, NotOpen,       Ordinary, &[], Download, raw);
    check_role(&enterprise_user("u-globex", OTHER_ENT), ENT, Conditional,   Ordinary, &[], Api,      none);
    check_role(&enterprise_user("u-globex", OTHER_ENT), ENT, Unconditional, Ordinary, &[], Api,      open);
    check_role(&staff("u-transport", DEPT),             ENT, Conditional,   Ordinary, &[], Api,      none);
    check_role(&admin(),                                ENT, Conditional,   Ordinary, &[], Api,      none);
    check_role(&auditor(),                              ENT, Conditional,   Ordinary, &[], Api,      none);

    // Only roles that publish own: an authority admin, auditor or citizen recorded with the
    // owner's organization is still not exempt; nor is staff of a look-alike organization id.
    check_role(&user("u-x", Role::Authority, Some(DEPT)), DEPT, Conditional, Ordinary, &[], Api, none);
    check_role(&user("u-x", Role::Auditor, Some(DEPT)),   DEPT, Conditional, Ordinary, &[], Api, none);
    check_role(&user("u-x", Role::Citizen, Some(DEPT)),   DEPT, Conditional, Ordinary, &[], Api, none);
    check_role(&staff("u-x", "dept-transport-2"),         DEPT, Conditional, Ordinary, &[], Api, none);
    check_role(&staff("u-x", "DEPT-TRANSPORT"),           DEPT, Conditional, Ordinary, &[], Api, none);
}

#[test]
#[rustfmt::skip]
fn roles_with_a_grant() {
    use Importance::*;
    use Mode::*;
    use OpeningType::*;
    let granted = "l1=raw l2=raw l3=masked(mobile) l4=- | grant g filter(region=A)";
    let none = "l1=- l2=- l3=- l4=- | none";
    let to_user = |id: &str| vec![with_filter(grant("g", Grantee::User(id.into()), ALL, Mode::ALL), "A")];
    let to_org = |id: &str| vec![with_filter(grant("g", Grantee::Org(id.into()), ALL, Mode::ALL), "A")];

    // The owner ignores grants: no row filter, no quota.
    let mut own = to_org(DEPT);
    own[0].daily_row_quota = Some(10);
    own[0].rows_used_today = 10;
    check_role(&staff("u-transport", DEPT), DEPT, Conditional, Ordinary, &own, Api, "l1=raw l2=raw l3=raw l4=raw | owner");

    // The authority admin and auditors reach data through grants like anyone else, and like
    // anyone else get nothing from a grant of a not-open dataset.
    check_role(&admin(),   DEPT, Conditional, Ordinary, &to_user("u-admin"),   Api,      granted);
    check_role(&admin(),   DEPT, Conditional, Ordinary, &to_org(AUTHORITY),    Api,      granted);
    check_role(&auditor(), DEPT, Conditional, Ordinary, &to_user("u-auditor"), Download, granted);
    check_role(&auditor(), DEPT, Conditional, Ordinary, &to_org(AUTHORITY),    Api,      none);
    check_role(&admin(),   DEPT, NotOpen,     Ordinary, &to_user("u-admin"),   Api,      none);
    check_role(&admin(),   DEPT, NotOpen,     Core,     &to_org(AUTHORITY),    Download, none);

    // Citizen, enterprise users and staff of another department, each under a grant of their own.
    check_role(&citizen(),                              DEPT, Conditional, Ordinary, &to_user("u-citizen"), Download, granted);
    check_role(&enterprise_user("u-acme", ENT),         DEPT, Conditional, Ordinary, &to_user("u-acme"),    Api,      granted);
    check_role(&enterprise_user("u-globex", OTHER_ENT), ENT,  Conditional, Ordinary, &to_org(OTHER_ENT),    Api,      granted);
    check_role(&staff("u-health", OTHER_DEPT),          DEPT, Conditional, Ordinary, &to_org(OTHER_DEPT),   Api,      granted);
    // The anonymous visitor holds no grant, not even one to an empty id.
    check_role(&anonymous(),                            DEPT, Conditional, Ordinary, &to_user(""),          Api,      none);
    check_role(&anonymous(),                            DEPT, Conditional, Ordinary, &to_org(""),           Api,      none);
}

// ---------------------------------------------------------------------------------------------
// 4. Organization grants apply to every user of that organization and to nobody else
// ---------------------------------------------------------------------------------------------

fn check_org(who: &Principal, grantee: Grantee, expect: &str) {
    let ds = dataset(DEPT, OpeningType::Conditional, Importance::Ordinary);
    let grants = [grant("g", grantee.clone(), &["l1", "l2"], Mode::ALL)];
    let (_, actual) = run(who, &ds, &grants, None, Mode::Api, NOW);
    assert_rendered(&actual, expect, (who, grantee));
}

#[test]
#[rustfmt::skip]
fn org_grants() {
    let granted = "l1=raw l2=raw l3=- l4=- | grant g";
    let none = "l1=- l2=- l3=- l4=- | none";
    let org = |id: &str| Grantee::Org(id.into());
    let person = |id: &str| Grantee::User(id.into());

    // An enterprise's grant reaches every user bound to it, and nobody else.
    check_org(&enterprise_user("u-acme-1", ENT),         org(ENT),          granted);
    check_org(&enterprise_user("u-acme-2", ENT),         org(ENT),          granted);
    check_org(&enterprise_user("u-globex", OTHER_ENT),   org(ENT),          none);
    check_org(&citizen(),                                org(ENT),          none);
    check_org(&anonymous(),                              org(ENT),          none);
    check_org(&staff("u-health", OTHER_DEPT),            org(ENT),          none);
    check_org(&admin(),                                  org(ENT),          none);
    check_org(&auditor(),                                org(ENT),          none);
    // A user whose id happens to be the organization's id is not bound to it.
    check_org(&user(ENT, Role::Citizen, None),           org(ENT),          none);
    // A department's grant (e.g. for government affairs) reaches all of its staff.
    check_org(&staff("u-health-1", OTHER_DEPT),          org(OTHER_DEPT),   granted);
    check_org(&staff("u-health-2", OTHER_DEPT),          org(OTHER_DEPT),   granted);
    check_org(&staff("u-edu", THIRD_DEPT),               org(OTHER_DEPT),   none);
    check_org(&enterprise_user("u-acme-1", ENT),         org(OTHER_DEPT),   none);
    // A personal grant reaches that user only, not colleagues of the same organization.
    check_org(&enterprise_user("u-acme-1", ENT),         person("u-acme-1"), granted);
    check_org(&enterprise_user("u-acme-2", ENT),         person("u-acme-1"), none);
}

// ---------------------------------------------------------------------------------------------
// 5. L4 under a grant: absent unless the grant names it and the authority approved it
// ---------------------------------------------------------------------------------------------

fn check_l4(columns: &[&str], approved: bool, mode: Mode, wanted: Option<&[&str]>, expect: &str) {
    let ds = dataset(DEPT, OpeningType::Conditional, Importance::Ordinary);
    let grants = [Grant {
        l4_masked_approved: approved,
        ..citizen_grant("g", columns)
    }];
    let (_, actual) = run(&citizen(), &ds, &grants, wanted, mode, NOW);
    assert_rendered(&actual, expect, (columns, approved, mode, wanted));
}

#[test]
#[rustfmt::skip]
fn l4_under_a_grant() {
    use Mode::*;
    let l2_l4: &[&str] = &["l2", "l4"];
    //       grant columns  approved mode       wanted
    check_l4(l2_l4,         false,   Api,       None,          "l1=- l2=raw l3=- l4=- | grant g");
    check_l4(l2_l4,         false,   Download,  None,          "l1=- l2=raw l3=- l4=- | grant g");
    check_l4(l2_l4,         true,    Api,       None,          "l1=- l2=raw l3=- l4=masked(citizen_id) | grant g");
    check_l4(l2_l4,         true,    Download,  None,          "l1=- l2=raw l3=- l4=masked(citizen_id) | grant g");
    // Approval covers only the L4 columns the grant names.
    check_l4(&["l2", "l3"], true,    Api,       None,          "l1=- l2=raw l3=masked(mobile) l4=- | grant g");
    // In the clean room an L4 column is a join key only, approved or not.
    check_l4(l2_l4,         false,   CleanRoom, None,          "l1=- l2=raw l3=- l4=join | grant g");
    check_l4(l2_l4,         true,    CleanRoom, None,          "l1=- l2=raw l3=- l4=join | grant g");
    // A grant of only an unapproved L4 column adds nothing, so it is not used.
    check_l4(&["l4"],       false,   Api,       None,          "l1=- l2=- l3=- l4=- | none");
    check_l4(&["l4"],       false,   Api,       Some(&["l4"]), "l1=- l2=- l3=- l4=- | none");
    check_l4(&["l4"],       true,    Api,       Some(&["l4"]), "l1=- l2=- l3=- l4=masked(citizen_id) | grant g");
    check_l4(&["l4"],       false,   CleanRoom, Some(&["l4"]), "l1=- l2=- l3=- l4=join | grant g");
}

// ---------------------------------------------------------------------------------------------
// 6. Quota
// ---------------------------------------------------------------------------------------------

fn check_quota(quota: Option<i64>, used: i64, expect: &str) {
    let ds = dataset(DEPT, OpeningType::Conditional, Importance::Ordinary);
    let grants = [Grant {
        daily_row_quota: quota,
        rows_used_today: used,
        ..citizen_grant("g", &["l2"])
    }];
    let (d, actual) = run(&citizen(), &ds, &grants, None, Mode::Api, NOW);
    assert_rendered(&actual, expect, (quota, used));
    assert_eq!(d.quota_remaining, grants[0].quota_remaining());
}

#[test]
#[rustfmt::skip]
fn quota() {
    //          quota      used
    check_quota(None,      0,         "l1=- l2=raw l3=- l4=- | grant g");
    check_quota(None,      1_000_000, "l1=- l2=raw l3=- l4=- | grant g");
    check_quota(Some(100), 0,         "l1=- l2=raw l3=- l4=- | grant g quota=100");
    check_quota(Some(100), 40,        "l1=- l2=raw l3=- l4=- | grant g quota=60");
    check_quota(Some(100), 99,        "l1=- l2=raw l3=- l4=- | grant g quota=1");
    // Spent: the grant is still the basis (so the caller can say "quota exhausted"), but no
    // rows may be read.
    check_quota(Some(100), 100,       "l1=- l2=raw l3=- l4=- | grant g quota=0 rows=no");
    check_quota(Some(100), 150,       "l1=- l2=raw l3=- l4=- | grant g quota=0 rows=no");
}

#[test]
fn rows_allowed() {
    let ds = dataset(DEPT, OpeningType::Conditional, Importance::Ordinary);
    let ask = |who: &Principal, grants: &[Grant]| run(who, &ds, grants, None, Mode::Api, NOW).0;
    let spent = Grant {
        daily_row_quota: Some(5),
        rows_used_today: 5,
        ..citizen_grant("g", &["l2"])
    };
    let left = Grant {
        daily_row_quota: Some(5),
        rows_used_today: 4,
        ..citizen_grant("g", &["l2"])
    };
    assert!(!ask(&citizen(), &[]).rows_allowed());
    assert!(!ask(&citizen(), std::slice::from_ref(&spent)).rows_allowed());
    assert!(ask(&citizen(), std::slice::from_ref(&left)).rows_allowed());
    // Owners and open data have no quota.
    let owner = ask(&staff("u-transport", DEPT), std::slice::from_ref(&spent));
    assert!(owner.rows_allowed());
    assert_eq!(owner.quota_remaining, None);
    let open_ds = dataset(DEPT, OpeningType::Unconditional, Importance::Ordinary);
    let open = run(&citizen(), &open_ds, &[], None, Mode::Api, NOW).0;
    assert!(open.rows_allowed());
    assert_eq!(open.quota_remaining, None);
}

// ---------------------------------------------------------------------------------------------
// 7. Choosing one grant: never merged, deterministic, the chosen grant's row filter
// ---------------------------------------------------------------------------------------------

fn check_choice(
    opening: OpeningType,
    grants: &[Grant],
    wanted: Option<&[&str]>,
    mode: Mode,
    expect: &str,
) {
    let ds = dataset(DEPT, opening, Importance::Ordinary);
    let (d, actual) = run(&citizen(), &ds, grants, wanted, mode, NOW);
    assert_rendered(&actual, expect, (opening, grants, wanted, mode));
    // The row filter and quota are exactly the chosen grant's, or none.
    match &d.basis {
        Basis::Grant(id) => {
            let chosen = grants
                .iter()
                .find(|g| &g.id == id)
                .expect("the chosen grant is one of them");
            assert_eq!(d.row_filter, chosen.row_filter);
            assert_eq!(d.quota_remaining, chosen.quota_remaining());
        }
        _ => {
            assert!(d.row_filter.is_empty());
            assert_eq!(d.quota_remaining, None);
        }
    }
}

#[test]
#[rustfmt::skip]
fn choosing_a_grant() {
    use Mode::*;
    use OpeningType::*;
    let g = |id: &str, columns: &[&str], filter: &str| with_filter(citizen_grant(id, columns), filter);
    let longer = |g: Grant| Grant { valid_until: NOW + 30 * DAY, ..g };
    let approved = |g: Grant| Grant { l4_masked_approved: true, ..g };
    let spent = |g: Grant| Grant { daily_row_quota: Some(10), rows_used_today: 10, ..g };
    let fresh = |g: Grant| Grant { daily_row_quota: Some(10), rows_used_today: 3, ..g };

    // The grant making the most wanted columns visible wins ...
    check_choice(Conditional, &[g("a", &["l2"], "A"), g("b", &["l2", "l3"], "B")], None, Api,
                 "l1=- l2=raw l3=masked(mobile) l4=- | grant b filter(region=B)");
    // ... counting only the columns asked for; on a tie, the one valid longest ...
    check_choice(Conditional, &[longer(g("a", &["l2"], "A")), g("b", &["l2", "l3"], "B")], Some(&["l2"]), Api,
                 "l1=- l2=raw l3=- l4=- | grant a filter(region=A)");
    check_choice(Conditional, &[g("a", &["l2"], "A"), longer(g("b", &["l2", "l3"], "B"))], Some(&["l2"]), Api,
                 "l1=- l2=raw l3=masked(mobile) l4=- | grant b filter(region=B)");
    // ... then the smallest id.
    check_choice(Conditional, &[g("b", &["l2"], "B"), g("a", &["l2"], "A")], None, Api,
                 "l1=- l2=raw l3=- l4=- | grant a filter(region=A)");
    check_choice(Conditional, &[g("g10", &["l2"], "B"), g("g09", &["l2"], "A")], None, Api,
                 "l1=- l2=raw l3=- l4=- | grant g09 filter(region=A)");
    // An L4 column counts only where the grant may show it.
    check_choice(Conditional, &[longer(g("a", &["l2", "l4"], "A")), approved(g("b", &["l2", "l4"], "B"))], None, Api,
                 "l1=- l2=raw l3=- l4=masked(citizen_id) | grant b filter(region=B)");

    // Never merged: two grants of one column each give one column, with that grant's rows.
    check_choice(Conditional, &[g("a", &["l2"], "A"), g("b", &["l3"], "B")], None, Api,
                 "l1=- l2=raw l3=- l4=- | grant a filter(region=A)");
    check_choice(Conditional, &[g("a", &["l2"], "A"), g("b", &["l3"], "B")], Some(&["l3"]), Api,
                 "l1=- l2=- l3=masked(mobile) l4=- | grant b filter(region=B)");
    check_choice(Conditional, &[g("a", &["l2"], "A"), g("b", &["l3"], "B")], Some(&["l2", "l3"]), Download,
                 "l1=- l2=raw l3=- l4=- | grant a filter(region=A)");
    // Asking for nothing a grant adds uses no grant.
    check_choice(Conditional, &[g("a", &["l2"], "A")], Some(&[]), Api,
                 "l1=- l2=- l3=- l4=- | none");
    check_choice(Conditional, &[g("a", &["l2"], "A")], Some(&["l3", "nope"]), Api,
                 "l1=- l2=- l3=- l4=- | none");

    // Open data: a grant that adds nothing is not used, so it neither narrows the rows nor
    // spends quota; one that adds a column is used, with its row filter over every column.
    check_choice(Unconditional, &[g("a", &["l1"], "A")], None, Api,
                 "l1=raw l2=- l3=- l4=- | open");
    check_choice(Unconditional, &[g("a", &["l1", "l2"], "A")], Some(&["l1"]), Api,
                 "l1=raw l2=- l3=- l4=- | open");
    check_choice(Unconditional, &[g("a", &["l2"], "A")], None, Download,
                 "l1=raw l2=raw l3=- l4=- | grant a filter(region=A)");

    // The clean room needs a grant, so one is used even if it adds nothing visible, and the
    // columns it does not name are absent there, L1 included.
    check_choice(Unconditional, &[g("a", &["l1"], "A")], None, CleanRoom,
                 "l1=raw l2=- l3=- l4=- | grant a filter(region=A)");
    check_choice(Unconditional, &[g("a", &["l2"], "A")], None, CleanRoom,
                 "l1=- l2=raw l3=- l4=- | grant a filter(region=A)");
    check_choice(Conditional, &[g("a", &["l3", "l4"], "A"), g("b", &["l1"], "B")], Some(&["l1"]), CleanRoom,
                 "l1=raw l2=- l3=- l4=- | grant b filter(region=B)");
    check_choice(Conditional, &[g("a", &[], "A")], None, CleanRoom,
                 "l1=- l2=- l3=- l4=- | grant a filter(region=A)");

    // A grant whose quota is spent does not shadow a usable one; alone, or among spent ones, it
    // is the basis and allows no rows.
    check_choice(Conditional, &[spent(g("a", ALL, "A")), fresh(g("b", &["l2"], "B"))], None, Api,
                 "l1=- l2=raw l3=- l4=- | grant b quota=7 filter(region=B)");
    check_choice(Conditional, &[spent(g("a", ALL, "A")), g("b", &["l2"], "B")], None, Api,
                 "l1=- l2=raw l3=- l4=- | grant b filter(region=B)");
    check_choice(Conditional, &[spent(g("a", ALL, "A"))], None, Api,
                 "l1=raw l2=raw l3=masked(mobile) l4=- | grant a quota=0 filter(region=A) rows=no");
    check_choice(Conditional, &[spent(g("a", ALL, "A")), spent(longer(g("b", &["l2"], "B")))], None, Api,
                 "l1=raw l2=raw l3=masked(mobile) l4=- | grant a quota=0 filter(region=A) rows=no");
}

#[test]
fn the_row_filter_is_the_chosen_grants() {
    let ds = dataset(DEPT, OpeningType::Conditional, Importance::Ordinary);
    let filter = vec![
        region("西湖区"),
        Condition {
            column: "year".into(),
            op: Op::Gte,
            value: Some(Literal::Int(2020)),
        },
        Condition {
            column: "l1".into(),
            op: Op::NotNull,
            value: None,
        },
    ];
    let g = Grant {
        row_filter: filter.clone(),
        ..citizen_grant("g", &["l1", "l2"])
    };
    let (d, _) = run(&citizen(), &ds, &[g], None, Mode::Api, NOW);
    assert_eq!(d.basis, Basis::Grant("g".into()));
    assert_eq!(d.row_filter, filter);
    // The owner and the public get no row filter.
    let (d, _) = run(&staff("u-transport", DEPT), &ds, &[], None, Mode::Api, NOW);
    assert!(d.row_filter.is_empty());
    let open = dataset(DEPT, OpeningType::Unconditional, Importance::Ordinary);
    let (d, _) = run(&anonymous(), &open, &[], None, Mode::Api, NOW);
    assert_eq!(d.basis, Basis::Open);
    assert!(d.row_filter.is_empty());
}

// ---------------------------------------------------------------------------------------------
// 8. Important and core data: not open, whatever opening type is recorded, and no grant honoured
// ---------------------------------------------------------------------------------------------

fn check_importance(importance: Importance, opening: OpeningType, mode: Mode, expect: &str) {
    let ds = dataset(DEPT, opening, importance);
    let grants = [Grant {
        l4_masked_approved: true,
        ..citizen_grant("g", ALL)
    }];
    let (_, actual) = run(&citizen(), &ds, &grants, None, mode, NOW);
    assert_rendered(&actual, expect, (importance, opening, mode));
    let (_, without) = run(&anonymous(), &ds, &[], None, mode, NOW);
    if importance != Importance::Ordinary {
        assert_rendered(
            &without,
            "l1=- l2=- l3=- l4=- | none",
            (importance, opening, mode),
        );
    }
    let (_, owner) = run(&staff("u-transport", DEPT), &ds, &grants, None, mode, NOW);
    assert_rendered(
        &owner,
        "l1=raw l2=raw l3=raw l4=raw | owner",
        (importance, opening, mode),
    );
}

#[test]
#[rustfmt::skip]
fn important_and_core_data() {
    use Importance::*;
    use Mode::*;
    use OpeningType::*;
    let none = "l1=- l2=- l3=- l4=- | none";
    check_importance(Ordinary,  Conditional,   Api,      "l1=raw l2=raw l3=masked(mobile) l4=masked(citizen_id) | grant g");
    check_importance(Ordinary,  Unconditional, Download, "l1=raw l2=raw l3=masked(mobile) l4=masked(citizen_id) | grant g");
    // The derived rule of C3 makes these not open; a record that says otherwise is not trusted.
    for mode in Mode::ALL {
        for opening in OpeningType::ALL {
            check_importance(Important, *opening, *mode, none);
            check_importance(Core,      *opening, *mode, none);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Masks come from what ingest found in the column (`Mask::for_findings`)
// ---------------------------------------------------------------------------------------------

fn finding(kind: PiiKind, matches: u64) -> PiiFinding {
    PiiFinding {
        kind,
        matches,
        scanned: 100,
    }
}

fn check_mask(grade: Grade, findings: &[PiiFinding], value: &str, expect: &str) {
    let mask = Mask::for_findings(findings);
    let ds = DatasetPolicy {
        columns: vec![column("c", grade, mask)],
        ..dataset(DEPT, OpeningType::Conditional, Importance::Ordinary)
    };
    let grants = [Grant {
        l4_masked_approved: true,
        ..citizen_grant("g", &["c"])
    }];
    let (d, _) = run(&citizen(), &ds, &grants, None, Mode::Api, NOW);
    let Verdict::Masked { mask: used } = d.verdict("c") else {
        panic!(
            "{grade:?} under a grant should be masked, got {:?}",
            d.verdict("c")
        );
    };
    assert_eq!(used, mask);
    let actual = format!("{} {}", verdict_code(d.verdict("c")), used.apply(value));
    assert_rendered(&actual, expect, (grade, findings));
}

#[test]
#[rustfmt::skip]
fn masks_come_from_findings() {
    use Grade::*;
    use PiiKind::*;
    let f = finding;
    check_mask(L3, &[f(Mobile, 90)],                     "13812341234",       "masked(mobile) 138****1234");
    check_mask(L3, &[f(PersonName, 3), f(Mobile, 90)],   "13812341234",       "masked(mobile) 138****1234");
    check_mask(L3, &[f(PersonName, 95), f(Mobile, 90)],  "张三丰",             "masked(person_name) 张**");
    check_mask(L3, &[f(Email, 40)],                      "alice@example.com", "masked(email) a***@example.com");
    check_mask(L3, &[f(Address, 40)],                    "杭州市西湖区文三路100号", "masked(address) 杭州市西湖区***");
    check_mask(L3, &[f(BirthDate, 40)],                  "1990-05-17",        "masked(birth_date) 1990");
    // Nothing personal recognised: full redaction. A USCC is an enterprise identifier, not
    // personal; a kind without a matching value does not count.
    check_mask(L3, &[],                                  "anything",          "masked(***) ***");
    check_mask(L3, &[f(Uscc, 100)],                      "91330000MA27XXXX1X", "masked(***) ***");
    check_mask(L3, &[f(Mobile, 0)],                      "13812341234",       "masked(***) ***");
    check_mask(L3, &[f(Uscc, 100), f(Address, 2)],       "杭州市上城区某路",    "masked(address) 杭州市上城区***");
    // L4 under a grant the authority approved for it.
    check_mask(L4, &[f(CitizenId, 99)],                  "11010519491231002X", "masked(citizen_id) 110105********002X");
    check_mask(L4, &[f(BankCard, 99)],                   "6222021234567890123", "masked(bank_card) 622202*********0123");
}

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::{select, subsequence};

    const ORGS: &[&str] = &["dept-a", "dept-b", "ent-a", "ent-b", "authority"];
    const COLUMN_NAMES: &[&str] = &["c0", "c1", "c2", "c3", "c4", "c5", "zz"];

    fn principals() -> Vec<Principal> {
        vec![
            anonymous(),
            user("cit-1", Role::Citizen, None),
            user("cit-2", Role::Citizen, None),
            enterprise_user("ent-a-1", "ent-a"),
            enterprise_user("ent-a-2", "ent-a"),
            enterprise_user("ent-b-1", "ent-b"),
            staff("dept-a-1", "dept-a"),
            staff("dept-a-2", "dept-a"),
            staff("dept-b-1", "dept-b"),
            user("admin-1", Role::Authority, Some("authority")),
            user("auditor-1", Role::Auditor, None),
        ]
    }

    fn arb_mask() -> impl Strategy<Value = Mask> {
        prop_oneof![
            Just(Mask::Redact),
            select(PiiKind::ALL.to_vec()).prop_map(Mask::Pii),
        ]
    }

    fn arb_dataset() -> impl Strategy<Value = DatasetPolicy> {
        (
            select(&ORGS[..4]),
            prop_oneof![
                2 => Just(OpeningType::Unconditional),
                3 => Just(OpeningType::Conditional),
                1 => Just(OpeningType::NotOpen),
            ],
            prop_oneof![
                6 => Just(Importance::Ordinary),
                1 => Just(Importance::Important),
                1 => Just(Importance::Core),
            ],
            prop::collection::vec((select(Grade::ALL.to_vec()), arb_mask()), 0..=6),
        )
            .prop_map(|(owner, opening_type, importance, columns)| DatasetPolicy {
                dataset_id: "ds".into(),
                owner_org_id: owner.to_string(),
                opening_type,
                importance,
                columns: columns
                    .into_iter()
                    .enumerate()
                    .map(|(i, (grade, mask))| column(&format!("c{i}"), grade, mask))
                    .collect(),
            })
    }

    /// A grantee, biased towards the principal so that grants often apply.
    fn arb_grantee(p: &Principal) -> impl Strategy<Value = Grantee> {
        let own_user = Grantee::User(p.user_id.clone().unwrap_or_else(|| "nobody".into()));
        let own_org = Grantee::Org(p.org_id.clone().unwrap_or_else(|| "ent-a".into()));
        let users: Vec<String> = principals().into_iter().filter_map(|p| p.user_id).collect();
        prop_oneof![
            3 => Just(own_user),
            2 => Just(own_org),
            1 => select(users).prop_map(Grantee::User),
            1 => select(ORGS).prop_map(|o| Grantee::Org(o.to_string())),
        ]
    }

    fn arb_grant(p: &Principal) -> impl Strategy<Value = Grant> {
        (
            prop_oneof![9 => Just("ds"), 1 => Just("other")],
            arb_grantee(p),
            subsequence(COLUMN_NAMES, 0..=COLUMN_NAMES.len()),
            any::<bool>(),
            0usize..3,
            prop_oneof![
                2 => Just(Mode::ALL.to_vec()),
                3 => subsequence(Mode::ALL, 0..=Mode::ALL.len()),
            ],
            // Mostly valid around now; otherwise starting or ending near it, to hit the bounds.
            prop_oneof![2 => Just((-24i64, 48i64)), 3 => (-3i64..=3, 1i64..=4)],
            prop::option::weighted(0.2, -2i64..=2),
            prop::option::of(1i64..=20),
            prop_oneof![Just(0i64), 0i64..=25],
        )
            .prop_map(
                |(
                    dataset,
                    grantee,
                    columns,
                    l4,
                    filters,
                    modes,
                    (from, len),
                    revoked,
                    quota,
                    used,
                )| Grant {
                    id: String::new(),
                    dataset_id: dataset.into(),
                    grantee,
                    columns: columns.into_iter().map(String::from).collect(),
                    l4_masked_approved: l4,
                    row_filter: (0..filters)
                        .map(|k| Condition {
                            column: "c0".into(),
                            op: Op::Ne,
                            value: Some(Literal::Int(k as i64)),
                        })
                        .collect(),
                    modes,
                    valid_from: NOW + from * HOUR,
                    valid_until: NOW + (from + len) * HOUR,
                    revoked_at: revoked.map(|r| NOW + r * HOUR),
                    daily_row_quota: quota,
                    rows_used_today: used,
                },
            )
    }

    #[derive(Debug, Clone)]
    struct Case {
        principal: Principal,
        dataset: DatasetPolicy,
        grants: Vec<Grant>,
        /// The same grants in another order.
        shuffled: Vec<Grant>,
        wanted: Option<Vec<String>>,
        mode: Mode,
        now: i64,
    }

    impl Case {
        fn decide_with(&self, grants: &[Grant]) -> Decision {
            decide(AccessRequest {
                principal: &self.principal,
                dataset: &self.dataset,
                grants,
                wanted: self.wanted.as_deref(),
                mode: self.mode,
                now: self.now,
            })
        }

        fn decide(&self) -> Decision {
            self.decide_with(&self.grants)
        }

        fn is_owner(&self) -> bool {
            matches!(self.principal.role, Some(Role::Staff | Role::Enterprise))
                && self.principal.org_id.as_deref() == Some(self.dataset.owner_org_id.as_str())
        }

        /// Whether the grant may be used for this request at all, per C4/C5.
        fn usable(&self, g: &Grant) -> bool {
            g.dataset_id == self.dataset.dataset_id
                && g.grantee.includes(&self.principal)
                && g.state(self.now) == GrantState::Active
                && g.modes.contains(&self.mode)
        }

        fn chosen(&self, d: &Decision) -> Option<&Grant> {
            match &d.basis {
                Basis::Grant(id) => self.grants.iter().find(|g| &g.id == id),
                _ => None,
            }
        }

        /// How many wanted columns the grant would show, or let the clean room use, beyond what
        /// the public sees.
        fn gain(&self, g: &Grant) -> usize {
            let wanted = |name: &str| {
                self.wanted
                    .as_ref()
                    .is_none_or(|w| w.iter().any(|c| c == name))
            };
            self.dataset
                .columns
                .iter()
                .filter(|c| wanted(&c.name) && g.columns.contains(&c.name))
                .filter(|c| {
                    let v = spec_granted(g, c, self.mode);
                    v != Verdict::Absent && v != spec_public(&self.dataset, c, self.mode)
                })
                .count()
        }

        fn grade(&self, name: &str) -> Grade {
            self.dataset
                .columns
                .iter()
                .find(|c| c.name == name)
                .unwrap()
                .grade
        }
    }

    /// C3: only an ordinary dataset may be open at all.
    fn closed(ds: &DatasetPolicy) -> bool {
        ds.opening_type == OpeningType::NotOpen || ds.importance != Importance::Ordinary
    }

    fn open(ds: &DatasetPolicy) -> bool {
        ds.opening_type == OpeningType::Unconditional && ds.importance == Importance::Ordinary
    }

    /// C5, "anyone, unconditional dataset".
    fn spec_public(ds: &DatasetPolicy, c: &ColumnPolicy, mode: Mode) -> Verdict {
        if open(ds) && mode != Mode::CleanRoom && c.grade == Grade::L1 {
            Verdict::Raw
        } else {
            Verdict::Absent
        }
    }

    /// C5, "active grant covering the column" and "clean-room query under a grant".
    fn spec_granted(g: &Grant, c: &ColumnPolicy, mode: Mode) -> Verdict {
        match (c.grade, mode) {
            (Grade::L1 | Grade::L2, _) => Verdict::Raw,
            (Grade::L3, Mode::CleanRoom) => Verdict::AggregateOnly,
            (Grade::L3, _) => Verdict::Masked { mask: c.mask },
            (Grade::L4, Mode::CleanRoom) => Verdict::JoinKeyOnly,
            (Grade::L4, _) if g.l4_masked_approved => Verdict::Masked { mask: c.mask },
            (Grade::L4, _) => Verdict::Absent,
        }
    }

    /// A column under a chosen grant: covered columns by the grant, the rest as the public sees
    /// them, except in the clean room, where only what the grant names exists.
    fn spec_under(ds: &DatasetPolicy, g: &Grant, c: &ColumnPolicy, mode: Mode) -> Verdict {
        if g.columns.contains(&c.name) {
            spec_granted(g, c, mode)
        } else if mode == Mode::CleanRoom {
            Verdict::Absent
        } else {
            spec_public(ds, c, mode)
        }
    }

    fn arb_case() -> impl Strategy<Value = Case> {
        (
            select(principals()),
            arb_dataset(),
            select(Mode::ALL),
            prop::option::of(subsequence(COLUMN_NAMES, 0..=3)),
            -2i64..=2,
        )
            .prop_flat_map(|(principal, dataset, mode, wanted, shift)| {
                let grants =
                    prop::collection::vec(arb_grant(&principal), 0..=6).prop_map(|mut gs| {
                        // Ids unique, and not in list order, so the id tie-break is exercised.
                        for (i, g) in gs.iter_mut().enumerate() {
                            g.id = format!("g{}", (i * 7 + 3) % 10);
                        }
                        gs
                    });
                (
                    Just(principal),
                    Just(dataset),
                    grants.prop_flat_map(|gs| (Just(gs.clone()), Just(gs).prop_shuffle())),
                    Just(mode),
                    Just(wanted.map(|w| w.into_iter().map(String::from).collect())),
                    // Sometimes exactly on an hour boundary of the grants' validity.
                    prop_oneof![
                        Just(NOW),
                        Just(NOW + shift * HOUR),
                        Just(NOW + shift * HOUR - 1)
                    ],
                )
            })
            .prop_map(
                |(principal, dataset, (grants, shuffled), mode, wanted, now)| Case {
                    principal,
                    dataset,
                    grants,
                    shuffled,
                    wanted,
                    mode,
                    now,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// (a) No column is ever shown in a form above what its grade allows for a non-owner.
        #[test]
        fn never_more_than_the_grade_allows(case in arb_case()) {
            let d = case.decide();
            if case.is_owner() {
                prop_assert_eq!(&d.basis, &Basis::Owner);
                prop_assert!(d.columns.iter().all(|(_, v)| *v == Verdict::Raw));
                return Ok(());
            }
            prop_assert_ne!(&d.basis, &Basis::Owner);
            let chosen = case.chosen(&d);
            if let Some(g) = chosen {
                prop_assert!(case.usable(g), "an unusable grant was used: {:?}", g);
            }
            // The grant covering a column in this mode for this principal, if any.
            let covering = |name: &str| chosen.filter(|g| g.columns.iter().any(|c| c == name));
            for (name, verdict) in &d.columns {
                let grade = case.grade(name);
                let column = case.dataset.columns.iter().find(|c| &c.name == name).unwrap();
                if closed(&case.dataset) {
                    prop_assert_eq!(*verdict, Verdict::Absent, "{} on a closed dataset", name);
                }
                match verdict {
                    Verdict::Raw => {
                        prop_assert!(grade <= Grade::L2, "{} is {:?} but raw", name, grade);
                        if grade == Grade::L2 || case.mode == Mode::CleanRoom || !open(&case.dataset) {
                            prop_assert!(covering(name).is_some(), "{} raw without a grant covering it", name);
                        }
                    }
                    Verdict::Masked { mask } => {
                        prop_assert_eq!(*mask, column.mask);
                        prop_assert!(grade >= Grade::L3, "{} is {:?} but masked", name, grade);
                        prop_assert_ne!(case.mode, Mode::CleanRoom);
                        let g = covering(name);
                        prop_assert!(g.is_some(), "{} masked without a grant covering it", name);
                        if grade == Grade::L4 {
                            prop_assert!(g.unwrap().l4_masked_approved, "{} (L4) masked without approval", name);
                        }
                    }
                    Verdict::AggregateOnly => {
                        prop_assert_eq!(grade, Grade::L3);
                        prop_assert_eq!(case.mode, Mode::CleanRoom);
                        prop_assert!(covering(name).is_some());
                    }
                    Verdict::JoinKeyOnly => {
                        prop_assert_eq!(grade, Grade::L4);
                        prop_assert_eq!(case.mode, Mode::CleanRoom);
                        prop_assert!(covering(name).is_some());
                    }
                    Verdict::Absent => {}
                }
            }
            // Every column of the dataset has exactly one verdict, in order.
            let names: Vec<&str> = d.columns.iter().map(|(n, _)| n.as_str()).collect();
            let expected: Vec<&str> = case.dataset.columns.iter().map(|c| c.name.as_str()).collect();
            prop_assert_eq!(names, expected);
        }

        /// (b) No rows means no basis, or a grant whose quota is spent (and then no other usable
        /// grant with quota left would have served the request).
        #[test]
        fn no_rows_means_no_basis_or_a_spent_quota(case in arb_case()) {
            let d = case.decide();
            if !d.rows_allowed() {
                match &d.basis {
                    Basis::None => {
                        prop_assert!(d.columns.iter().all(|(_, v)| *v == Verdict::Absent));
                    }
                    Basis::Grant(_) => {
                        prop_assert_eq!(d.quota_remaining, Some(0));
                        let spent = case.chosen(&d).unwrap();
                        prop_assert_eq!(spent.quota_remaining(), Some(0));
                        for g in case.grants.iter().filter(|g| case.usable(g) && g.quota_remaining() != Some(0)) {
                            // A usable grant with quota left only loses to a spent one if it
                            // adds nothing wanted, which the clean room does not ask for.
                            prop_assert_ne!(case.mode, Mode::CleanRoom, "{:?} was usable", g);
                            prop_assert_eq!(case.gain(g), 0, "{:?} was usable", g);
                        }
                    }
                    other => prop_assert!(false, "{:?} allows no rows", other),
                }
            } else {
                prop_assert_ne!(&d.basis, &Basis::None);
            }
        }

        /// (c) The decision does not depend on the order of the grants.
        #[test]
        fn deterministic_under_permutation(case in arb_case()) {
            let d = case.decide();
            prop_assert_eq!(&case.decide_with(&case.shuffled), &d);
            let reversed: Vec<Grant> = case.grants.iter().rev().cloned().collect();
            prop_assert_eq!(&case.decide_with(&reversed), &d);
            prop_assert_eq!(&case.decide(), &d, "same input, same output");
        }

        /// (d) The row filter (and quota) are exactly the chosen grant's; none for owner or
        /// open data.
        #[test]
        fn row_filter_is_the_chosen_grants(case in arb_case()) {
            let d = case.decide();
            match &d.basis {
                Basis::Grant(id) => {
                    let matching: Vec<&Grant> = case.grants.iter().filter(|g| &g.id == id).collect();
                    prop_assert_eq!(matching.len(), 1);
                    prop_assert_eq!(&d.row_filter, &matching[0].row_filter);
                    prop_assert_eq!(d.quota_remaining, matching[0].quota_remaining());
                }
                Basis::Owner | Basis::Open | Basis::None => {
                    prop_assert!(d.row_filter.is_empty());
                    prop_assert_eq!(d.quota_remaining, None);
                }
            }
        }

        /// Every verdict is the C5 table's for the basis, and the chosen grant is the best
        /// usable one by the documented rule: quota left, then most wanted columns gained, then
        /// valid longest, then smallest id.
        #[test]
        fn matches_the_c5_table(case in arb_case()) {
            let d = case.decide();
            let ds = &case.dataset;
            let mode = case.mode;
            if case.is_owner() {
                return Ok(());
            }
            let expected: Vec<(String, Verdict)> = match case.chosen(&d) {
                Some(g) => ds.columns.iter().map(|c| (c.name.clone(), spec_under(ds, g, c, mode))).collect(),
                None => ds.columns.iter().map(|c| (c.name.clone(), spec_public(ds, c, mode))).collect(),
            };
            prop_assert_eq!(&d.columns, &expected);

            let gain = |g: &Grant| case.gain(g);
            let best = case
                .grants
                .iter()
                .filter(|g| !closed(ds) && case.usable(g))
                .filter(|g| gain(g) > 0 || mode == Mode::CleanRoom)
                .max_by(|a, b| {
                    (a.quota_remaining() != Some(0)).cmp(&(b.quota_remaining() != Some(0)))
                        .then(gain(a).cmp(&gain(b)))
                        .then(a.valid_until.cmp(&b.valid_until))
                        .then(b.id.cmp(&a.id))
                });
            match best {
                Some(g) => prop_assert_eq!(&d.basis, &Basis::Grant(g.id.clone())),
                None if open(ds) && mode != Mode::CleanRoom => prop_assert_eq!(&d.basis, &Basis::Open),
                None => prop_assert_eq!(&d.basis, &Basis::None),
            }
        }
    }
}
