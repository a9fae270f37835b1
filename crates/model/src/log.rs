//! What the public access log records (DESIGN.md C7): the event kinds and the leaf.
//!
//! A leaf is one line of JSON whose exact bytes are hashed into the tree. It holds no personal
//! data: the actor is an organization or a keyed pseudonym, and everything else about the event
//! (the user, the full query, the client address) is in a private detail record that the leaf
//! commits to with a salted SHA-256 hash.

use crate::classification::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// The kind of a logged event.
    EventKind, "event kind" {
        /// Rows shown in a dataset preview.
        Preview => "data.preview", "预览", "Preview";
        /// Rows returned by a REST query.
        Query => "data.query", "查询", "Query";
        /// An aggregate.
        Aggregate => "data.aggregate", "统计", "Aggregate";
        /// Rows returned by read-only SQL.
        Sql => "data.sql", "SQL 查询", "SQL query";
        /// A download.
        Download => "data.download", "下载", "Download";
        /// Rows returned through the CKAN DataStore actions.
        Datastore => "data.datastore", "DataStore 查询", "DataStore query";
        /// A clean-room query (C6), one leaf per dataset read.
        CleanRoom => "data.cleanroom", "融合计算", "Clean-room query";
        /// An application was submitted.
        ApplicationSubmitted => "application.submitted", "提交申请", "Application submitted";
        /// A department approved and forwarded an application to the authority.
        ApplicationForwarded => "application.forwarded", "部门通过并转交", "Application forwarded";
        /// An application was approved and a grant issued.
        ApplicationApproved => "application.approved", "批准申请", "Application approved";
        /// An application was rejected.
        ApplicationRejected => "application.rejected", "驳回申请", "Application rejected";
        /// The applicant withdrew an application.
        ApplicationWithdrawn => "application.withdrawn", "撤回申请", "Application withdrawn";
        /// A grant was revoked.
        GrantRevoked => "grant.revoked", "撤销授权", "Grant revoked";
        /// A column grade was set or changed.
        GradeChanged => "classification.grade", "字段分级变更", "Column grade changed";
        /// A dataset's opening type or dataset grade changed.
        OpeningTypeChanged => "classification.opening_type", "开放类型变更", "Opening type changed";
        /// A request to lower a grade or opening type was filed.
        ChangeRequested => "classification.requested", "申请降级", "Lowering requested";
        /// The authority decided a request to lower.
        ChangeDecided => "classification.decided", "降级申请决定", "Lowering decided";
        /// A data demand was filed.
        DemandFiled => "demand.filed", "提出数据需求", "Demand filed";
        /// A department accepted a demand.
        DemandAccepted => "demand.accepted", "受理数据需求", "Demand accepted";
        /// A department did not accept a demand.
        DemandRejected => "demand.rejected", "不予采纳数据需求", "Demand not accepted";
        /// An accepted demand was fulfilled by a dataset or a grant.
        DemandFulfilled => "demand.fulfilled", "数据需求已满足", "Demand fulfilled";
        /// The authority moved a demand to another department.
        DemandTransferred => "demand.transferred", "转办数据需求", "Demand transferred";
        /// A duplicate demand was merged into another.
        DemandMerged => "demand.merged", "合并数据需求", "Demand merged";
        /// A department published a draft for consultation.
        ConsultationPublished => "consultation.published", "发布征求意见稿", "Consultation published";
        /// A consultation closed.
        ConsultationClosed => "consultation.closed", "意见征集截止", "Consultation closed";
        /// A department answered a comment.
        ConsultationAnswered => "consultation.answered", "反馈意见采纳情况", "Comment answered";
        /// A department published the result of a consultation.
        ConsultationResult => "consultation.result", "公布意见征集结果", "Consultation result published";
        /// Feedback on a public service was submitted.
        FeedbackSubmitted => "feedback.submitted", "提交诉求", "Feedback submitted";
        /// A department accepted feedback.
        FeedbackAccepted => "feedback.accepted", "受理诉求", "Feedback accepted";
        /// A department started work on feedback.
        FeedbackStarted => "feedback.started", "诉求处理中", "Feedback in progress";
        /// A department resolved feedback.
        FeedbackResolved => "feedback.resolved", "诉求办结", "Feedback resolved";
        /// A department rejected feedback.
        FeedbackRejected => "feedback.rejected", "诉求不予受理", "Feedback rejected";
        /// Feedback moved to another department.
        FeedbackTransferred => "feedback.transferred", "转办诉求", "Feedback transferred";
        /// A department added a public status note to feedback.
        FeedbackNoted => "feedback.noted", "诉求进展说明", "Feedback status note";
        /// The submitter reopened feedback.
        FeedbackReopened => "feedback.reopened", "诉求重新办理", "Feedback reopened";
        /// The submitter rated the answer to feedback.
        FeedbackRated => "feedback.rated", "诉求满意度评价", "Feedback rated";
        /// A department hid the description of feedback.
        FeedbackHidden => "feedback.hidden", "隐藏诉求描述", "Feedback description hidden";
        /// A department's staff read the private contact details of feedback.
        FeedbackContactRead => "feedback.contact_read", "查阅诉求联系方式", "Feedback contact read";
        /// Points were redeemed for a reward.
        PointsRedeemed => "points.redeemed", "积分兑换", "Points redeemed";
        /// The authority cancelled a redemption and gave the points back.
        RedemptionCancelled => "points.redemption_cancelled", "撤销兑换", "Redemption cancelled";
        /// The authority published an incentive report; the leaf carries its SHA-256.
        IncentiveReportPublished => "incentive.published", "发布激励报告", "Incentive report published";
        /// An auditor read the private detail of an entry.
        DetailRead => "audit.detail_read", "审计查阅", "Detail read by auditor";
    }
}

impl EventKind {
    /// Whether the event delivered data rows.
    pub fn is_data_access(self) -> bool {
        self.code().starts_with("data.")
    }
}

/// Version of the leaf format.
pub const LEAF_VERSION: u32 = 1;

/// One public leaf. Field order is the serialization order, and the serialized bytes are what
/// the tree hashes; never reorder or rename fields within a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leaf {
    /// Format version, [`LEAF_VERSION`].
    pub v: u32,
    /// When, RFC 3339 in UTC with milliseconds.
    pub time: String,
    /// What happened.
    pub kind: EventKind,
    /// The dataset concerned (its slug), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Who: `org:<organization>` for an organization's staff, `user:<pseudonym>` for a person
    /// without one, `anonymous` for no login.
    pub actor: String,
    /// The purpose category of the grant or application, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Rows delivered, for data access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Hex SHA-256 of a document the event published (an incentive report), so that anyone
    /// holding the document can check that it is the one published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Hex SHA-256 of (salt ‖ detail record): binds the private detail without revealing it.
    pub commitment: String,
}

impl Leaf {
    /// The exact bytes the tree hashes.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a leaf always serializes")
    }

    /// Parses a leaf's bytes; `None` if they are not a leaf of this version.
    pub fn parse(line: &str) -> Option<Leaf> {
        let leaf: Leaf = serde_json::from_str(line).ok()?;
        (leaf.v == LEAF_VERSION).then_some(leaf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaf_round_trips_through_its_exact_bytes() {
        let leaf = Leaf {
            v: LEAF_VERSION,
            time: "2026-11-27T08:00:00.000Z".into(),
            kind: EventKind::Query,
            dataset: Some("bus-routes".into()),
            actor: "anonymous".into(),
            purpose: None,
            rows: Some(20),
            digest: None,
            commitment: "00".repeat(32),
        };
        let line = leaf.to_line();
        assert_eq!(
            line,
            format!(
                "{{\"v\":1,\"time\":\"2026-11-27T08:00:00.000Z\",\"kind\":\"data.query\",\"dataset\":\"bus-routes\",\"actor\":\"anonymous\",\"rows\":20,\"commitment\":\"{}\"}}",
                "00".repeat(32)
            )
        );
        assert_eq!(Leaf::parse(&line), Some(leaf));
        assert_eq!(Leaf::parse("{\"v\":2}"), None);
        assert!(EventKind::Download.is_data_access());
        assert!(!EventKind::GrantRevoked.is_data_access());
    }
}
