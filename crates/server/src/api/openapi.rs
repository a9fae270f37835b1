//! The OpenAPI 3 document of the JSON API, generated from the `#[utoipa::path]` annotations of
//! the handlers and served at `GET /api/v1/openapi.json`. The schemas it refers to are in
//! [`super::schemas`].
//!
//! A response schema must never be stricter than what the server sends: the schemathesis test
//! (`tests/it/openapi.rs`) checks every answer it receives against this document.

use super::schemas::*;
use super::{
    accounts, activities, applications, cleanroom, consultations, contribution, data, datasets,
    demands, feedback, points, quality, requests,
};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document. Every handler routed under `/api/v1` is listed in `paths`; the integration
/// test compares this list with the routers, in both directions.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Gongshu API",
        version = env!("CARGO_PKG_VERSION"),
        description = "The native JSON API of Gongshu (共数), a government open-data platform. \
            Authenticate with `Authorization: Bearer gs_…` API tokens. \
            Every error has the body `{\"error\": {\"code\", \"type\", \"message\"}}` with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    servers((url = "/")),
    paths(
        openapi_json,
        accounts::list_orgs,
        accounts::create_org,
        accounts::show_org,
        accounts::list_users,
        accounts::create_user,
        accounts::me,
        accounts::activity,
        accounts::list_tokens,
        accounts::create_token,
        accounts::revoke_token,
        datasets::list,
        datasets::create,
        datasets::show,
        datasets::update,
        datasets::remove,
        datasets::set_opening_type,
        datasets::upload,
        datasets::list_versions,
        datasets::remove_resource,
        datasets::set_column_grade,
        datasets::dictionary,
        datasets::set_dictionary,
        requests::list,
        requests::decide,
        applications::agreement,
        applications::mine,
        applications::create,
        applications::show,
        applications::submit,
        applications::withdraw,
        applications::review,
        applications::queue,
        applications::my_grants,
        applications::show_grant,
        applications::revoke,
        applications::report,
        applications::dataset_grants,
        applications::dataset_results,
        applications::all_results,
        applications::accept_result,
        cleanroom::show_policy,
        cleanroom::set_policy,
        cleanroom::create,
        cleanroom::mine,
        cleanroom::show,
        cleanroom::query,
        data::preview,
        data::query_get,
        data::query_post,
        data::aggregate,
        data::download,
        data::sql_get,
        data::sql_post,
        consultations::list,
        consultations::create,
        consultations::show,
        consultations::comment,
        consultations::stats,
        consultations::result,
        consultations::attach,
        consultations::attachment,
        consultations::edit,
        consultations::withdraw,
        consultations::support,
        consultations::hide,
        consultations::answer,
        consultations::enterprise_profile,
        demands::list,
        demands::stats,
        demands::create,
        demands::show,
        demands::support,
        demands::unsupport,
        demands::comments,
        demands::comment,
        demands::history,
        demands::answer,
        demands::fulfil,
        demands::transfer,
        demands::merge,
        feedback::list,
        feedback::create,
        feedback::show,
        feedback::act,
        feedback::rate,
        feedback::reopen,
        feedback::contact,
        feedback::photo,
        feedback::services,
        feedback::save_service,
        feedback::stats,
        points::mine,
        points::set_leaderboard,
        points::leaderboard,
        points::rules,
        points::set_rule,
        points::adjust,
        points::rewards,
        points::create_reward,
        points::reward,
        points::update_reward,
        points::redeem,
        points::redemptions,
        points::cancel,
        activities::list,
        activities::create,
        activities::show,
        activities::attempt,
        quality::show,
        quality::usage,
        contribution::index,
        contribution::reports,
        contribution::publish,
        contribution::report,
        contribution::report_csv,
        crate::log::detail,
        crate::interop::opening_list::opening_list,
    ),
    components(schemas(
        ErrorBody, ErrorType, Role, OrgKind, Domain, Grade, OpeningType, Importance, Mode,
        PurposeCategory, ResultKind, ApplicationStatus, ReviewStep, RequestStatus, GrantState,
        FilterOp, Literal, Filters, Binary, DemandStatus, RejectionReason, Ownership, EnterpriseSize, Audience, Phase, Stance, Adoption, FeedbackStatus, FeedbackEvent, AttributeType, PointsRule, EntryKind, TaskKind, QualityDimension, OrgGroup,
    )),
    modifiers(&BearerToken),
    tags(
        (name = "meta", description = "This document."),
        (name = "accounts", description = "Organizations, users and API tokens."),
        (name = "datasets", description = "The catalog: datasets, resources, versions and column grades."),
        (name = "change-requests", description = "Requests to lower a grade or an opening type, decided by the data authority."),
        (name = "applications", description = "Applications for conditional data, reviews, grants and reported results (C4)."),
        (name = "data", description = "Reading data: preview, REST query, aggregates, downloads and read-only SQL; every response is logged."),
        (name = "demands", description = "Data demands (数据需求): what the public needs, supported, and answered in public by the department asked."),
        (name = "consultations", description = "Policy consultations (意见征集): drafts in articles, comments with a stance, answers after the close, and the published result."),
        (name = "feedback", description = "Feedback on public services (诉求反馈): submitted by anyone, answered in public by the department responsible, rated by the submitter; the same data as Open311 GeoReport v2 at /open311/v2/."),
        (name = "points", description = "Points (积分): verified outcomes earn points, activities with tasks and quizzes, the reward catalog, atomic redemption, and the opt-in leaderboard."),
        (name = "contribution", description = "The contribution index (贡献指数) of enterprises and departments, and the incentive reports the authority publishes, each with its SHA-256 in the access log."),
        (name = "cleanroom", description = "The fusion clean room (融合计算, 可用不可见): owners' policies, clean rooms over datasets of several organizations with one ε budget, and aggregate-only queries whose groups cover at least k people or firms."),
        (name = "log", description = "The private detail behind access-log entries, for auditors."),
        (name = "catalog", description = "The opening list (开放清单)."),
    )
)]
pub struct ApiDoc;

/// The name of the bearer-token security scheme the handlers refer to.
pub const BEARER: &str = "bearer";

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("gs_…")
                    .description(Some(
                        "An API token, created in the portal under “API tokens”, with `gongshu user token`, or with `POST /api/v1/tokens`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document as JSON text, built once.
pub fn json_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .expect("the OpenAPI document serializes")
    })
}

/// The OpenAPI 3 document of this API.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI document.", content_type = "application/json", body = Object)),
)]
pub(super) async fn openapi_json() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], json_text()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_document_names_its_schemes_and_schemas() {
        let doc: Value = serde_json::from_str(json_text()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(
            doc["components"]["securitySchemes"][BEARER]["scheme"],
            "bearer"
        );
        // Every `$ref` points at a schema the document defines.
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let mut stack = vec![&doc];
        let mut refs = 0;
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(map) => {
                    if let Some(Value::String(r)) = map.get("$ref") {
                        let name = r.strip_prefix("#/components/schemas/").unwrap();
                        assert!(schemas.contains_key(name), "dangling {r}");
                        refs += 1;
                    }
                    stack.extend(map.values());
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        assert!(refs > 50, "{refs}");
    }
}
