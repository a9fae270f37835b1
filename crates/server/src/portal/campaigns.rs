//! Portal pages of activities (数字活动, C12): the list with the visitor's progress, an
//! activity's page with its tasks and quizzes (answered with radio buttons, no JavaScript), and
//! the authority's form for a new activity. The rules are in [`app::activities`].

use super::page::{again, render, require_user, urlencode, OrPage, PageResult};
use super::pages::{fmt_time, PageCtx};
use crate::extract::Visitor;
use crate::i18n::{Lang, Tr};
use crate::state::SharedState;
use app::activities::{self, ActivityInput, ActivityView, TaskInput};
use app::{AppError, Code};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use model::calendar::DAY_MS;
use model::points::{Question, Quiz, TaskKind};
use model::role::Role;
use serde::Deserialize;
use std::collections::HashMap;

/// The activity routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/activities", get(list_page).post(create))
        .route("/activities/{id}", get(detail_page))
        .route("/activities/{id}/tasks/{task}/attempts", post(attempt))
}

fn day(ms: i64) -> String {
    fmt_time(ms).chars().take(10).collect()
}

fn title_in(lang: Lang, a: &ActivityView) -> String {
    if lang == Lang::En && !a.activity.title_en.is_empty() {
        a.activity.title_en.clone()
    } else {
        a.activity.title.clone()
    }
}

struct Row {
    id: String,
    title: String,
    period: String,
    running: bool,
    tasks: usize,
    done: usize,
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListTpl {
    t: Tr,
    page: PageCtx,
    rows: Vec<Row>,
    signed_in: bool,
    authority: bool,
    error: String,
    /// Event task kinds for the form: (code, label).
    kinds: Vec<(&'static str, &'static str)>,
    event_slots: Vec<usize>,
    question_slots: Vec<usize>,
    /// What was typed, after an error.
    form: NewForm,
}

impl ListTpl {
    /// A field of the form as typed, or empty.
    fn val(&self, name: &str) -> &str {
        self.form.0.get(name).map_or("", String::as_str)
    }

    /// A field of a numbered slot, e.g. `slot("task", 2, "title")` for `task2_title`.
    fn slot(&self, prefix: &str, i: &usize, field: &str) -> &str {
        self.val(&format!("{prefix}{i}_{field}"))
    }
}

async fn list_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    list(&state, &v, String::new(), NewForm::default()).await
}

async fn list(state: &SharedState, v: &Visitor, error: String, form: NewForm) -> PageResult {
    let all = activities::list(state, v.user.as_ref()).await.or_page(v)?;
    Ok(render(ListTpl {
        t: Tr(v.lang),
        page: PageCtx::new(v, "/activities"),
        rows: all
            .iter()
            .map(|a| Row {
                id: a.activity.id.clone(),
                title: title_in(v.lang, a),
                period: format!(
                    "{} – {}",
                    day(a.activity.starts_at),
                    day(a.activity.ends_at - 1)
                ),
                running: a.running,
                tasks: a.tasks.len(),
                done: a.done,
            })
            .collect(),
        signed_in: v.user.is_some(),
        authority: v.user.as_ref().is_some_and(|u| u.role == Role::Authority),
        error,
        kinds: TaskKind::ALL
            .iter()
            .filter(|k| **k != TaskKind::Quiz)
            .map(|k| (k.code(), k.label(v.lang.code())))
            .collect(),
        event_slots: (1..=EVENT_TASKS).collect(),
        question_slots: (1..=QUESTIONS).collect(),
        form,
    }))
}

/// Task slots of the new-activity form: event tasks, then one quiz of up to [`QUESTIONS`]
/// questions. Empty slots are skipped, so an activity has 1 to `EVENT_TASKS + 1` tasks here;
/// the JSON API takes any number.
const EVENT_TASKS: usize = 3;
const QUESTIONS: usize = 5;

/// The new-activity form as posted: every field by name, kept to fill the form again after an
/// error so that nothing typed is lost.
#[derive(Deserialize, Default)]
#[serde(transparent)]
struct NewForm(HashMap<String, String>);

impl NewForm {
    fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", |v| v.trim())
    }
}

fn bad(message: String) -> AppError {
    AppError::new(Code::InvalidField, message)
}

fn number<T: std::str::FromStr>(
    f: &NewForm,
    name: &str,
    what: &str,
    default: T,
) -> Result<T, AppError> {
    match f.get(name) {
        "" => Ok(default),
        v => v
            .parse()
            .map_err(|_| bad(format!("{what} must be a whole number, not \"{v}\"."))),
    }
}

/// The event tasks of the form: a slot counts when its title is filled.
fn event_tasks(f: &NewForm) -> Result<Vec<TaskInput>, AppError> {
    let mut tasks = Vec::new();
    for i in 1..=EVENT_TASKS {
        let title = f.get(&format!("task{i}_title"));
        if title.is_empty() {
            continue;
        }
        let kind: TaskKind = f
            .get(&format!("task{i}_kind"))
            .parse()
            .map_err(|e| bad(format!("Task {i}: {e}.")))?;
        if kind == TaskKind::Quiz {
            return Err(bad(format!(
                "Task {i}: a quiz is set up in the quiz section."
            )));
        }
        tasks.push(TaskInput {
            kind,
            target: f.get(&format!("task{i}_target")).to_string(),
            title: title.to_string(),
            points: number(
                f,
                &format!("task{i}_points"),
                &format!("Task {i}'s points"),
                0,
            )?,
            quiz: None,
        });
    }
    Ok(tasks)
}

/// The quiz task of the form, when its title is filled: questions with their choices one per
/// line and the right one counted from 1.
fn quiz_task(f: &NewForm) -> Result<Option<TaskInput>, AppError> {
    let title = f.get("quiz_title");
    if title.is_empty() {
        return Ok(None);
    }
    let mut questions = Vec::new();
    for j in 1..=QUESTIONS {
        let text = f.get(&format!("q{j}_text"));
        if text.is_empty() {
            continue;
        }
        let options: Vec<String> = f
            .get(&format!("q{j}_options"))
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        let answer: usize = number(
            f,
            &format!("q{j}_answer"),
            &format!("Question {j}'s right choice"),
            0,
        )?;
        if answer == 0 || answer > options.len() {
            return Err(bad(format!(
                "Question {j}: the right choice is counted from 1 and must be one of its {} choices.",
                options.len()
            )));
        }
        questions.push(Question {
            text: text.to_string(),
            options,
            answer: answer - 1,
        });
    }
    let pass: u32 = number(f, "quiz_pass", "The pass mark", 60)?;
    Ok(Some(TaskInput {
        kind: TaskKind::Quiz,
        target: String::new(),
        title: title.to_string(),
        points: number(f, "quiz_points", "The quiz's points", 0)?,
        quiz: Some(Quiz {
            brief: f.get("quiz_brief").to_string(),
            questions,
            pass: f64::from(pass) / 100.0,
            max_attempts: number(f, "quiz_attempts", "The attempts allowed", 3)?,
        }),
    }))
}

fn input_of(f: &NewForm) -> Result<ActivityInput, AppError> {
    let mut tasks = event_tasks(f)?;
    tasks.extend(quiz_task(f)?);
    let starts_at = match f.get("starts") {
        "" => None,
        d => Some(app::feedback::parse_day(d)?),
    };
    Ok(ActivityInput {
        title: f.get("title").to_string(),
        title_en: f.get("title_en").to_string(),
        description: f.get("description").to_string(),
        starts_at,
        ends_at: app::feedback::parse_day(f.get("ends"))? + DAY_MS,
        tasks,
    })
}

async fn create(
    State(state): State<SharedState>,
    v: Visitor,
    Form(f): Form<NewForm>,
) -> PageResult {
    let user = require_user(&v, "/activities")?;
    v.check_csrf(f.get("csrf")).or_page(&v)?;
    let outcome = match input_of(&f) {
        Ok(input) => activities::create(&state, &user, input).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(a) => {
            Ok(Redirect::to(&format!("/activities/{}", urlencode(&a.activity.id))).into_response())
        }
        Err(e) => again(&v, e, |m| list(&state, &v, m, f)).await,
    }
}

struct QuestionRow {
    /// `q0`, `q1`…: the form field.
    field: String,
    text: String,
    options: Vec<(usize, String)>,
}

struct TaskRow {
    id: String,
    kind: String,
    title: String,
    points: i64,
    done: bool,
    brief: String,
    questions: Vec<QuestionRow>,
    attempts: i64,
    attempts_left: i64,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct DetailTpl {
    t: Tr,
    page: PageCtx,
    id: String,
    title: String,
    description: String,
    period: String,
    running: bool,
    done: usize,
    tasks: Vec<TaskRow>,
    signed_in: bool,
    error: String,
}

#[derive(Deserialize, Default)]
struct Msg {
    #[serde(default)]
    msg: String,
}

async fn detail_page(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<Msg>,
) -> PageResult {
    let t = Tr(v.lang);
    let flash = match q.msg.as_str() {
        "passed" => t.message_quiz_passed(),
        "failed" => t.message_quiz_failed(),
        _ => "",
    };
    detail(&state, &v, &id, String::new(), flash).await
}

async fn detail(
    state: &SharedState,
    v: &Visitor,
    id: &str,
    error: String,
    flash: &str,
) -> PageResult {
    let a = activities::get(state, id, v.user.as_ref())
        .await
        .or_page(v)?;
    let mut page = PageCtx::new(v, &format!("/activities/{id}"));
    page.flash = flash.to_string();
    Ok(render(DetailTpl {
        t: Tr(v.lang),
        page,
        id: a.activity.id.clone(),
        title: title_in(v.lang, &a),
        description: a.activity.description.clone(),
        period: format!(
            "{} – {}",
            day(a.activity.starts_at),
            day(a.activity.ends_at - 1)
        ),
        running: a.running,
        done: a.done,
        signed_in: v.user.is_some(),
        tasks: a
            .tasks
            .iter()
            .map(|task| TaskRow {
                id: task.task.id.clone(),
                kind: task.task.kind.label(v.lang.code()).to_string(),
                title: task.task.title.clone(),
                points: task.task.points,
                done: task.done,
                brief: task.brief.clone().unwrap_or_default(),
                questions: task
                    .questions
                    .iter()
                    .enumerate()
                    .map(|(i, q)| QuestionRow {
                        field: format!("q{i}"),
                        text: q.text.clone(),
                        options: q.options.iter().cloned().enumerate().collect(),
                    })
                    .collect(),
                attempts: task.attempts,
                attempts_left: task.max_attempts.unwrap_or(0) - task.attempts,
            })
            .collect(),
        error,
    }))
}

async fn attempt(
    State(state): State<SharedState>,
    v: Visitor,
    Path((id, task)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let user = require_user(&v, &format!("/activities/{id}"))?;
    let csrf = fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    v.check_csrf(csrf).or_page(&v)?;
    let a = activities::get(&state, &id, Some(&user))
        .await
        .or_page(&v)?;
    let questions = a
        .tasks
        .iter()
        .find(|t| t.task.id == task)
        .map_or(0, |t| t.questions.len());
    // One answer per question: the chosen option's index, or none.
    let answers: Vec<Option<usize>> = (0..questions)
        .map(|i| {
            let field = format!("q{i}");
            fields
                .iter()
                .find(|(k, _)| *k == field)
                .and_then(|(_, v)| v.parse().ok())
        })
        .collect();
    match activities::attempt(&state, &user, &id, &task, answers).await {
        Ok(r) => {
            let msg = if r.attempt.passed { "passed" } else { "failed" };
            Ok(Redirect::to(&format!("/activities/{}?msg={msg}", urlencode(&id))).into_response())
        }
        Err(e) => again(&v, e, |m| detail(&state, &v, &id, m, "")).await,
    }
}
