//! The roles of DESIGN.md's users table.

use crate::classification::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// What a signed-in user may do. Anonymous visitors have no role (see `Option<Role>`).
    Role, "role" {
        /// A registered person (公众用户).
        Citizen => "citizen", "公众用户", "Citizen";
        /// A registered user bound to an enterprise (企业用户).
        Enterprise => "enterprise", "企业用户", "Enterprise user";
        /// Staff of a government department (部门工作人员).
        Staff => "staff", "部门工作人员", "Department staff";
        /// An administrator of the data authority (数据管理部门管理员).
        Authority => "authority", "数据管理部门管理员", "Authority admin";
        /// An auditor, who reads the private detail behind log entries (审计员).
        Auditor => "auditor", "审计员", "Auditor";
    }
}

impl Role {
    /// Whether users of this role must belong to an organization, and of which kind.
    pub fn required_org_kind(self) -> Option<OrgKind> {
        match self {
            Role::Enterprise => Some(OrgKind::Enterprise),
            Role::Staff => Some(OrgKind::Department),
            Role::Authority => Some(OrgKind::Authority),
            Role::Citizen | Role::Auditor => None,
        }
    }

    /// Whether this role publishes datasets for its organization.
    pub fn publishes(self) -> bool {
        matches!(self, Role::Staff | Role::Enterprise)
    }
}

string_enum! {
    /// The kind of an organization.
    OrgKind, "organization kind" {
        /// A government department (政府部门).
        Department => "department", "政府部门", "Government department";
        /// An enterprise with a unified social credit code (企业).
        Enterprise => "enterprise", "企业", "Enterprise";
        /// The data authority itself (数据管理部门).
        Authority => "authority", "数据管理部门", "Data authority";
    }
}
