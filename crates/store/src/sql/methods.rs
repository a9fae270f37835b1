//! The [`Store`](crate::Store) methods, written once as a macro and expanded for each backend.
//!
//! Every statement uses `$1, $2, …` placeholders, which PostgreSQL requires and sqlx's SQLite
//! driver maps to the same argument positions (the story test checks this), so both backends run
//! exactly the same SQL text. The macro only exists because sqlx's pool and row types differ per
//! backend; nothing in it may branch on the backend.
//!
//! Write transactions start with a write. SQLite (in WAL mode) cannot upgrade a transaction that
//! has read to a writer if another connection committed in between, and fails at once instead of
//! waiting; a transaction whose first statement writes waits for the lock under `busy_timeout`.
//! On PostgreSQL the same first write locks the parent row, which serializes writers of one
//! dataset (so two uploads cannot both take version number N).

macro_rules! impl_store {
    ($store:ty, $backend:literal) => {
        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            // Organizations.

            async fn create_org(&self, org: NewOrganization) -> Result<Organization> {
                let org = Organization {
                    id: new_id(),
                    name: org.name,
                    title: org.title,
                    kind: org.kind,
                    uscc: org.uscc,
                    description: org.description,
                    created_at: org.now,
                    ownership: None,
                    size: None,
                    industry: None,
                };
                sqlx::query(
                    "INSERT INTO organizations \
                     (id, name, title, kind, uscc, description, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&org.id)
                .bind(&org.name)
                .bind(&org.title)
                .bind(org.kind.code())
                .bind(&org.uscc)
                .bind(&org.description)
                .bind(org.created_at)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &["uscc", "name"]))?;
                Ok(org)
            }

            async fn get_org(&self, id: &str) -> Result<Organization> {
                let row = sqlx::query("SELECT * FROM organizations WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::organization(&row)
            }

            async fn get_org_by_name(&self, name: &str) -> Result<Organization> {
                let row = sqlx::query("SELECT * FROM organizations WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::organization(&row)
            }

            async fn list_orgs(&self) -> Result<Vec<Organization>> {
                sqlx::query("SELECT * FROM organizations ORDER BY name")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(rows::organization)
                    .collect()
            }

            // Users.

            async fn create_user(&self, user: NewUser) -> Result<User> {
                let user = User {
                    id: new_id(),
                    username: user.username,
                    display_name: user.display_name,
                    role: user.role,
                    org_id: user.org_id,
                    password_hash: user.password_hash,
                    created_at: user.now,
                };
                sqlx::query(
                    "INSERT INTO users \
                     (id, username, display_name, role, org_id, password_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&user.id)
                .bind(&user.username)
                .bind(&user.display_name)
                .bind(user.role.code())
                .bind(&user.org_id)
                .bind(&user.password_hash)
                .bind(user.created_at)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &["username"]))?;
                Ok(user)
            }

            async fn get_user(&self, id: &str) -> Result<User> {
                let row = sqlx::query("SELECT * FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::user(&row)
            }

            async fn get_user_by_username(&self, username: &str) -> Result<User> {
                let row = sqlx::query("SELECT * FROM users WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::user(&row)
            }

            async fn list_users(&self) -> Result<Vec<User>> {
                sqlx::query("SELECT * FROM users ORDER BY username")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(rows::user)
                    .collect()
            }

            async fn set_password_hash(
                &self,
                user_id: &str,
                password_hash: &str,
                now: i64,
            ) -> Result<()> {
                // A new password ends every session: after a compromise and reset, the
                // attacker's browser must not stay signed in.
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
                )
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                found(done.rows_affected())
            }

            // Sessions.

            async fn create_session(&self, session: Session) -> Result<()> {
                // Expired sessions can never be used again (get_session refuses them), so each
                // login sweeps them away rather than leaving the table to grow for ever.
                sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                    .bind(session.created_at)
                    .execute(&self.pool)
                    .await?;
                sqlx::query(
                    "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&session.id_hash)
                .bind(&session.user_id)
                .bind(&session.csrf_token)
                .bind(session.created_at)
                .bind(session.expires_at)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &["id_hash"]))?;
                Ok(())
            }

            async fn login_attempt(
                &self,
                keys: &[String],
                max: u32,
                window: i64,
                now: i64,
            ) -> Result<Option<i64>> {
                let stale = now - window;
                let mut tx = self.pool.begin().await?;
                // Starts with a write (see the module); keeps the table to the current windows.
                sqlx::query("DELETE FROM login_failures WHERE since <= $1")
                    .bind(stale)
                    .execute(&mut *tx)
                    .await?;
                let mut locked: Option<i64> = None;
                for key in keys {
                    // The row lock this takes makes a parallel attempt on the same key wait for
                    // this one's outcome.
                    let row = sqlx::query(
                        "INSERT INTO login_failures (key, failures, since) VALUES ($1, 1, $2) \
                         ON CONFLICT (key) DO UPDATE SET \
                         failures = CASE WHEN login_failures.since <= $3 THEN 1 \
                                    ELSE login_failures.failures + 1 END, \
                         since = CASE WHEN login_failures.since <= $3 THEN $2 \
                                 ELSE login_failures.since END \
                         RETURNING failures, since",
                    )
                    .bind(key)
                    .bind(now)
                    .bind(stale)
                    .fetch_one(&mut *tx)
                    .await?;
                    let (failures, since) = (row.int("failures")?, row.int("since")?);
                    if failures > i64::from(max) {
                        let wait = (since + window - now).max(1);
                        locked = Some(locked.map_or(wait, |w| w.max(wait)));
                    }
                }
                if locked.is_some() {
                    // A refused attempt counts for nothing.
                    tx.rollback().await?;
                } else {
                    tx.commit().await?;
                }
                Ok(locked)
            }

            async fn record_catalog_change(
                &self,
                kind: &str,
                object_id: &str,
                now: i64,
            ) -> Result<i64> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(
                    "INSERT INTO catalog_changes (kind, object_id, at) VALUES ($1, $2, $3) \
                     RETURNING seq",
                )
                .bind(kind)
                .bind(object_id)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let seq = row.int("seq")?;
                sqlx::query("DELETE FROM catalog_changes WHERE at < $1")
                    .bind(now - 24 * 3_600_000)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(seq)
            }

            async fn catalog_changes_after(
                &self,
                seq: i64,
                limit: i64,
            ) -> Result<Vec<CatalogChange>> {
                let rows = sqlx::query(
                    "SELECT seq, kind, object_id, at FROM catalog_changes WHERE seq > $1 \
                     ORDER BY seq LIMIT $2",
                )
                .bind(seq)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(CatalogChange {
                            seq: r.int("seq")?,
                            kind: r.text("kind")?,
                            object_id: r.text("object_id")?,
                            at: r.int("at")?,
                        })
                    })
                    .collect()
            }

            async fn catalog_change_head(&self) -> Result<i64> {
                sqlx::query("SELECT COALESCE(MAX(seq), 0) AS head FROM catalog_changes")
                    .fetch_one(&self.pool)
                    .await?
                    .int("head")
            }

            async fn login_succeeded(&self, account: &str, address: Option<&str>) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM login_failures WHERE key = $1")
                    .bind(account)
                    .execute(&mut *tx)
                    .await?;
                if let Some(address) = address {
                    sqlx::query(
                        "UPDATE login_failures SET failures = failures - 1 \
                         WHERE key = $1 AND failures > 0",
                    )
                    .bind(address)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn get_session(&self, id_hash: &str, now: i64) -> Result<Session> {
                let row =
                    sqlx::query("SELECT * FROM sessions WHERE id_hash = $1 AND expires_at > $2")
                        .bind(id_hash)
                        .bind(now)
                        .fetch_optional(&self.pool)
                        .await?
                        .ok_or(StoreError::NotFound)?;
                rows::session(&row)
            }

            async fn delete_session(&self, id_hash: &str) -> Result<()> {
                // Logging out twice is not an error: the session is gone either way.
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            // API tokens.

            async fn create_token(&self, token: ApiToken) -> Result<()> {
                sqlx::query(
                    "INSERT INTO api_tokens \
                     (id, user_id, name, token_hash, created_at, expires_at, revoked_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&token.id)
                .bind(&token.user_id)
                .bind(&token.name)
                .bind(&token.token_hash)
                .bind(token.created_at)
                .bind(token.expires_at)
                .bind(token.revoked_at)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &["token_hash"]))?;
                Ok(())
            }

            async fn get_token_by_hash(&self, token_hash: &str) -> Result<ApiToken> {
                let row = sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::token(&row)
            }

            async fn list_tokens(&self, user_id: &str) -> Result<Vec<ApiToken>> {
                sqlx::query(
                    "SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::token)
                .collect()
            }

            async fn revoke_token(&self, user_id: &str, token_id: &str, now: i64) -> Result<()> {
                // COALESCE keeps the first revocation time, so revoking twice succeeds and the
                // record still says when the token stopped working.
                let done = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) \
                     WHERE id = $2 AND user_id = $3",
                )
                .bind(now)
                .bind(token_id)
                .bind(user_id)
                .execute(&self.pool)
                .await?;
                found(done.rows_affected())
            }

            // Datasets.

            async fn create_dataset(&self, dataset: NewDataset) -> Result<Dataset> {
                let dataset = Dataset {
                    id: new_id(),
                    name: dataset.name,
                    org_id: dataset.org_id,
                    meta: dataset.meta,
                    grade: dataset.grade,
                    created_at: dataset.now,
                    modified_at: dataset.now,
                    view_count: 0,
                    download_count: 0,
                    quality_score: None,
                };
                let m = &dataset.meta;
                sqlx::query(
                    "INSERT INTO datasets (id, name, org_id, title, description, themes, tags, \
                     update_frequency, license, spatial, temporal, contact, domain, opening_type, \
                     importance, grade, created_at, modified_at, view_count, download_count, \
                     quality_score) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16, $17, $18, $19, $20, $21)",
                )
                .bind(&dataset.id)
                .bind(&dataset.name)
                .bind(&dataset.org_id)
                .bind(&m.title)
                .bind(&m.description)
                .bind(rows::to_json(&m.themes)?)
                .bind(rows::to_json(&m.tags)?)
                .bind(&m.update_frequency)
                .bind(&m.license)
                .bind(&m.spatial)
                .bind(&m.temporal)
                .bind(&m.contact)
                .bind(m.domain.code())
                .bind(m.opening_type.code())
                .bind(m.importance.code())
                .bind(dataset.grade.code())
                .bind(dataset.created_at)
                .bind(dataset.modified_at)
                .bind(dataset.view_count)
                .bind(dataset.download_count)
                .bind(dataset.quality_score)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &["name"]))?;
                Ok(dataset)
            }

            async fn get_dataset_by_name(&self, name: &str) -> Result<Dataset> {
                let row = sqlx::query("SELECT * FROM datasets WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::dataset(&row)
            }

            async fn get_dataset(&self, id: &str) -> Result<Dataset> {
                let row = sqlx::query("SELECT * FROM datasets WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::dataset(&row)
            }

            async fn list_datasets(&self, filter: &DatasetFilter) -> Result<(Vec<Dataset>, i64)> {
                let org_id = filter.org_id.as_deref();
                let opening_type = filter.opening_type.map(|o| o.code());
                // `$1 IS NULL OR …` keeps one statement text for every combination of filters.
                let total = sqlx::query(
                    "SELECT COUNT(*) AS total FROM datasets \
                     WHERE ($1 IS NULL OR org_id = $1) AND ($2 IS NULL OR opening_type = $2)",
                )
                .bind(org_id)
                .bind(opening_type)
                .fetch_one(&self.pool)
                .await?
                .int("total")?;
                let page = sqlx::query(
                    "SELECT * FROM datasets \
                     WHERE ($1 IS NULL OR org_id = $1) AND ($2 IS NULL OR opening_type = $2) \
                     ORDER BY modified_at DESC, name LIMIT $3 OFFSET $4",
                )
                .bind(org_id)
                .bind(opening_type)
                .bind(page_limit(filter.limit))
                .bind(filter.offset.max(0))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::dataset)
                .collect::<Result<Vec<_>>>()?;
                Ok((page, total))
            }

            async fn update_dataset(&self, dataset: &Dataset) -> Result<Dataset> {
                let m = &dataset.meta;
                let done = sqlx::query(
                    "UPDATE datasets SET title = $1, description = $2, themes = $3, tags = $4, \
                     update_frequency = $5, license = $6, spatial = $7, temporal = $8, \
                     contact = $9, domain = $10, opening_type = $11, importance = $12, \
                     grade = $13, modified_at = $14, view_count = $15, download_count = $16, \
                     quality_score = $17 \
                     WHERE id = $18",
                )
                .bind(&m.title)
                .bind(&m.description)
                .bind(rows::to_json(&m.themes)?)
                .bind(rows::to_json(&m.tags)?)
                .bind(&m.update_frequency)
                .bind(&m.license)
                .bind(&m.spatial)
                .bind(&m.temporal)
                .bind(&m.contact)
                .bind(m.domain.code())
                .bind(m.opening_type.code())
                .bind(m.importance.code())
                .bind(dataset.grade.code())
                .bind(dataset.modified_at)
                .bind(dataset.view_count)
                .bind(dataset.download_count)
                .bind(dataset.quality_score)
                .bind(&dataset.id)
                .execute(&self.pool)
                .await?;
                found(done.rows_affected())?;
                self.get_dataset(&dataset.id).await
            }

            async fn delete_dataset(&self, id: &str) -> Result<Vec<String>> {
                let mut tx = self.pool.begin().await?;
                // A write first, to take the write lock (see the module comment).
                let locked =
                    sqlx::query("UPDATE datasets SET modified_at = modified_at WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                found(locked.rows_affected())?;
                let paths = sqlx::query(
                    "SELECT v.path AS path FROM versions v \
                     JOIN resources r ON r.id = v.resource_id \
                     WHERE r.dataset_id = $1 ORDER BY v.path",
                )
                .bind(id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.text("path"))
                .collect::<Result<Vec<_>>>()?;
                // Children before parents: the foreign keys do not cascade, so that forgetting a
                // table here fails loudly instead of leaving orphans.
                for statement in [
                    // Demands are the public's, not the dataset's: they stay, and only lose the
                    // link to what is deleted (their history keeps what happened).
                    "UPDATE demands SET fulfilled_grant_id = NULL \
                     WHERE fulfilled_grant_id IN (SELECT id FROM grants WHERE dataset_id = $1)",
                    "UPDATE demands SET fulfilled_dataset_id = NULL WHERE fulfilled_dataset_id = $1",
                    "UPDATE demands SET extends_dataset_id = NULL WHERE extends_dataset_id = $1",
                    // A result names its grant and its dataset; both lead here.
                    "DELETE FROM reuses WHERE dataset_id = $1 \
                     OR grant_id IN (SELECT id FROM grants WHERE dataset_id = $1)",
                    "DELETE FROM grant_usage \
                     WHERE grant_id IN (SELECT id FROM grants WHERE dataset_id = $1)",
                    "DELETE FROM grants WHERE dataset_id = $1",
                    "DELETE FROM cleanroom_parts WHERE dataset_id = $1",
                    "DELETE FROM cleanroom_own_parts WHERE dataset_id = $1",
                    "DELETE FROM cleanroom_policies WHERE dataset_id = $1",
                    "DELETE FROM applications WHERE dataset_id = $1",
                    "DELETE FROM column_grades \
                     WHERE resource_id IN (SELECT id FROM resources WHERE dataset_id = $1)",
                    "DELETE FROM resource_dictionaries \
                     WHERE resource_id IN (SELECT id FROM resources WHERE dataset_id = $1)",
                    "DELETE FROM version_quality WHERE dataset_id = $1",
                    "DELETE FROM versions \
                     WHERE resource_id IN (SELECT id FROM resources WHERE dataset_id = $1)",
                    "DELETE FROM resources WHERE dataset_id = $1",
                    "DELETE FROM change_requests WHERE dataset_id = $1",
                    "DELETE FROM datasets WHERE id = $1",
                ] {
                    sqlx::query(statement).bind(id).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(paths)
            }

            // Resources and versions.

            async fn create_resource(&self, resource: NewResource) -> Result<Resource> {
                let resource = Resource {
                    id: new_id(),
                    dataset_id: resource.dataset_id,
                    name: resource.name,
                    description: resource.description,
                    created_at: resource.now,
                };
                sqlx::query(
                    "INSERT INTO resources (id, dataset_id, name, description, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&resource.id)
                .bind(&resource.dataset_id)
                .bind(&resource.name)
                .bind(&resource.description)
                .bind(resource.created_at)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &["name"]))?;
                Ok(resource)
            }

            async fn get_resource(&self, id: &str) -> Result<Resource> {
                let row = sqlx::query("SELECT * FROM resources WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::resource(&row)
            }

            async fn list_resources(&self, dataset_id: &str) -> Result<Vec<Resource>> {
                sqlx::query(
                    "SELECT * FROM resources WHERE dataset_id = $1 ORDER BY created_at, name",
                )
                .bind(dataset_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::resource)
                .collect()
            }

            async fn delete_resource(&self, id: &str) -> Result<Vec<String>> {
                let mut tx = self.pool.begin().await?;
                // A write first, to take the write lock (see the module comment).
                let locked = sqlx::query("UPDATE resources SET name = name WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                found(locked.rows_affected())?;
                let paths =
                    sqlx::query("SELECT path FROM versions WHERE resource_id = $1 ORDER BY number")
                        .bind(id)
                        .fetch_all(&mut *tx)
                        .await?
                        .iter()
                        .map(|r| r.text("path"))
                        .collect::<Result<Vec<_>>>()?;
                for statement in [
                    "DELETE FROM column_grades WHERE resource_id = $1",
                    "DELETE FROM resource_dictionaries WHERE resource_id = $1",
                    "DELETE FROM version_quality WHERE resource_id = $1",
                    "DELETE FROM versions WHERE resource_id = $1",
                    "DELETE FROM resources WHERE id = $1",
                ] {
                    sqlx::query(statement).bind(id).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(paths)
            }

            async fn publish_version(&self, version: NewVersion) -> Result<Version> {
                let mut tx = self.pool.begin().await?;
                // Touching the dataset first is both the required modified-time update and the
                // lock that serializes publishers (see the module comment); no row means no
                // such resource.
                let touched = sqlx::query(
                    "UPDATE datasets SET modified_at = $1 \
                     WHERE id = (SELECT dataset_id FROM resources WHERE id = $2)",
                )
                .bind(version.now)
                .bind(&version.resource_id)
                .execute(&mut *tx)
                .await?;
                found(touched.rows_affected())?;
                let number = sqlx::query(
                    "SELECT COALESCE(MAX(number), 0) + 1 AS next FROM versions \
                     WHERE resource_id = $1",
                )
                .bind(&version.resource_id)
                .fetch_one(&mut *tx)
                .await?
                .int("next")?;
                let version = Version {
                    id: new_id(),
                    resource_id: version.resource_id,
                    number,
                    path: version.path,
                    source_format: version.source_format,
                    source_name: version.source_name,
                    source_encoding: version.source_encoding,
                    row_count: version.row_count,
                    byte_size: version.byte_size,
                    sha256: version.sha256,
                    columns: version.columns,
                    created_by: version.created_by,
                    created_at: version.now,
                };
                sqlx::query(
                    "INSERT INTO versions (id, resource_id, number, path, source_format, \
                     source_name, source_encoding, row_count, byte_size, sha256, columns, \
                     created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(&version.id)
                .bind(&version.resource_id)
                .bind(version.number)
                .bind(&version.path)
                .bind(&version.source_format)
                .bind(&version.source_name)
                .bind(&version.source_encoding)
                .bind(version.row_count)
                .bind(version.byte_size)
                .bind(&version.sha256)
                .bind(rows::to_json(&version.columns)?)
                .bind(&version.created_by)
                .bind(version.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &["number"]))?;
                // Columns new to this resource get ingest's proposal. A known column keeps its
                // grade unless the new data calls for a stricter one: then it rises (grades are
                // `L1`…`L4`, so text order is grade order) and awaits the publisher's confirmation
                // again. A grade never falls here; lowering is the authority's decision.
                for (position, column) in version.columns.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO column_grades \
                         (resource_id, column_name, position, grade, confirmed) \
                         VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (resource_id, column_name) DO UPDATE SET \
                         confirmed = CASE WHEN excluded.grade > column_grades.grade \
                                     THEN excluded.confirmed ELSE column_grades.confirmed END, \
                         grade = CASE WHEN excluded.grade > column_grades.grade \
                                 THEN excluded.grade ELSE column_grades.grade END",
                    )
                    .bind(&version.resource_id)
                    .bind(&column.name)
                    .bind(position as i64)
                    .bind(column.proposed_grade.code())
                    .bind(false)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(version)
            }

            async fn list_versions(&self, resource_id: &str) -> Result<Vec<Version>> {
                sqlx::query("SELECT * FROM versions WHERE resource_id = $1 ORDER BY number DESC")
                    .bind(resource_id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(rows::version)
                    .collect()
            }

            async fn get_version(&self, id: &str) -> Result<Version> {
                let row = sqlx::query("SELECT * FROM versions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::version(&row)
            }

            async fn all_version_paths(&self) -> Result<Vec<String>> {
                sqlx::query("SELECT path FROM versions ORDER BY path")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|r| r.text("path"))
                    .collect()
            }

            async fn all_versions(&self) -> Result<Vec<Version>> {
                sqlx::query("SELECT * FROM versions ORDER BY created_at, resource_id, number")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(rows::version)
                    .collect()
            }

            async fn replace_version_file(
                &self,
                id: &str,
                old_path: &str,
                file: &VersionFile,
            ) -> Result<()> {
                let done = sqlx::query(
                    "UPDATE versions SET path = $1, byte_size = $2, sha256 = $3 \
                     WHERE id = $4 AND path = $5",
                )
                .bind(&file.path)
                .bind(file.byte_size)
                .bind(&file.sha256)
                .bind(id)
                .bind(old_path)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 1 {
                    return Ok(());
                }
                self.get_version(id).await?;
                Err(StoreError::Conflict("path".into()))
            }

            // Column grades.

            async fn list_column_grades(&self, resource_id: &str) -> Result<Vec<ColumnGrade>> {
                sqlx::query(
                    "SELECT * FROM column_grades WHERE resource_id = $1 \
                     ORDER BY position, column_name",
                )
                .bind(resource_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::column_grade)
                .collect()
            }

            async fn set_column_grade(&self, grade: &ColumnGrade) -> Result<()> {
                sqlx::query(
                    "INSERT INTO column_grades \
                     (resource_id, column_name, position, grade, confirmed) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (resource_id, column_name) DO UPDATE SET \
                     position = excluded.position, grade = excluded.grade, \
                     confirmed = excluded.confirmed",
                )
                .bind(&grade.resource_id)
                .bind(&grade.column)
                .bind(grade.position)
                .bind(grade.grade.code())
                .bind(grade.confirmed)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                Ok(())
            }

            // The data dictionary.

            async fn column_notes(
                &self,
                resource_id: &str,
            ) -> Result<Vec<model::dictionary::ColumnNote>> {
                match sqlx::query("SELECT notes FROM resource_dictionaries WHERE resource_id = $1")
                    .bind(resource_id)
                    .fetch_optional(&self.pool)
                    .await?
                {
                    Some(row) => row.json("notes"),
                    None => Ok(Vec::new()),
                }
            }

            async fn set_column_notes(
                &self,
                resource_id: &str,
                notes: &[model::dictionary::ColumnNote],
                by: &str,
                now: i64,
            ) -> Result<()> {
                let json = rows::to_json(notes)?;
                sqlx::query(
                    "INSERT INTO resource_dictionaries (resource_id, notes, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (resource_id) DO UPDATE SET notes = excluded.notes, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(resource_id)
                .bind(json)
                .bind(by)
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                Ok(())
            }

            // Change requests.

            async fn create_change_request(
                &self,
                request: NewChangeRequest,
            ) -> Result<ChangeRequest> {
                let request = ChangeRequest {
                    id: new_id(),
                    dataset_id: request.dataset_id,
                    change: request.change,
                    reason: request.reason,
                    requested_by: request.requested_by,
                    status: RequestStatus::Pending,
                    decided_by: None,
                    decision_note: None,
                    created_at: request.now,
                    decided_at: None,
                };
                sqlx::query(
                    "INSERT INTO change_requests (id, dataset_id, target, reason, requested_by, \
                     status, decided_by, decision_note, created_at, decided_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&request.id)
                .bind(&request.dataset_id)
                .bind(rows::to_json(&request.change)?)
                .bind(&request.reason)
                .bind(&request.requested_by)
                .bind(request.status.code())
                .bind(&request.decided_by)
                .bind(&request.decision_note)
                .bind(request.created_at)
                .bind(request.decided_at)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                Ok(request)
            }

            async fn get_change_request(&self, id: &str) -> Result<ChangeRequest> {
                let row = sqlx::query("SELECT * FROM change_requests WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::change_request(&row)
            }

            async fn list_change_requests(
                &self,
                status: Option<RequestStatus>,
                dataset_id: Option<&str>,
            ) -> Result<Vec<ChangeRequest>> {
                sqlx::query(
                    "SELECT * FROM change_requests \
                     WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR dataset_id = $2) \
                     ORDER BY created_at DESC, id DESC",
                )
                .bind(status.map(RequestStatus::code))
                .bind(dataset_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::change_request)
                .collect()
            }

            async fn decide_change_request(
                &self,
                id: &str,
                status: RequestStatus,
                decided_by: &str,
                note: &str,
                now: i64,
            ) -> Result<ChangeRequest> {
                // "Deciding" to leave a request pending would record a decider for no decision.
                if status == RequestStatus::Pending {
                    return Err(StoreError::Conflict("status".into()));
                }
                // The status condition makes the check and the write one statement, so two
                // admins deciding at once cannot both succeed.
                let done = sqlx::query(
                    "UPDATE change_requests \
                     SET status = $1, decided_by = $2, decision_note = $3, decided_at = $4 \
                     WHERE id = $5 AND status = $6",
                )
                .bind(status.code())
                .bind(decided_by)
                .bind(note)
                .bind(now)
                .bind(id)
                .bind(RequestStatus::Pending.code())
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    // Tell "already decided" from "no such request".
                    self.get_change_request(id).await?;
                    return Err(StoreError::Conflict("status".into()));
                }
                self.get_change_request(id).await
            }

            // Data-use agreements.

            async fn ensure_agreement(&self, text: &str, now: i64) -> Result<Agreement> {
                let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
                // One statement decides and inserts, so SQLite needs no transaction. On
                // PostgreSQL two servers starting at once may both pick the next number; the
                // loser gets a unique violation and looks again, finding the winner's row.
                for _ in 0..5 {
                    let inserted = sqlx::query(
                        "INSERT INTO agreements (version, text, sha256, created_at) \
                         SELECT COALESCE((SELECT MAX(version) FROM agreements), 0) + 1, \
                         $1, $2, $3 \
                         WHERE NOT EXISTS (SELECT 1 FROM agreements WHERE sha256 = $2 \
                         AND version = (SELECT MAX(version) FROM agreements)) \
                         RETURNING *",
                    )
                    .bind(text)
                    .bind(&sha256)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| write_error(e, &["version"]));
                    match inserted {
                        Ok(Some(row)) => return rows::agreement(&row),
                        Ok(None) => return self.latest_agreement().await,
                        Err(StoreError::Conflict(_)) => continue,
                        Err(e) => return Err(e),
                    }
                }
                Err(StoreError::Conflict("version".into()))
            }

            async fn latest_agreement(&self) -> Result<Agreement> {
                let row = sqlx::query("SELECT * FROM agreements ORDER BY version DESC LIMIT 1")
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::agreement(&row)
            }

            async fn get_agreement(&self, version: i64) -> Result<Agreement> {
                let row = sqlx::query("SELECT * FROM agreements WHERE version = $1")
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::agreement(&row)
            }

            // Applications and grants.

            async fn create_application(
                &self,
                application: NewApplication,
            ) -> Result<Application> {
                // A draft's approved terms mirror the requested ones until submission fixes them.
                let application = Application {
                    id: new_id(),
                    applicant_id: application.applicant_id,
                    applicant_org_id: application.applicant_org_id,
                    dataset_id: application.dataset_id,
                    approved: application.requested.clone(),
                    requested: application.requested,
                    purpose_category: application.purpose_category,
                    purpose: application.purpose,
                    scenario: application.scenario,
                    agreement_version: None,
                    agreement_sha256: None,
                    status: ApplicationStatus::Draft,
                    step: None,
                    needs_authority: application.needs_authority,
                    department_reviewer: None,
                    department_reviewed_at: None,
                    authority_reviewer: None,
                    authority_reviewed_at: None,
                    rejection_reason: None,
                    review_note: None,
                    grant_id: None,
                    created_at: application.now,
                    submitted_at: None,
                    decided_at: None,
                };
                sqlx::query(
                    "INSERT INTO applications (id, applicant_id, applicant_org_id, dataset_id, \
                     requested, approved, purpose_category, purpose, scenario, status, \
                     needs_authority, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&application.id)
                .bind(&application.applicant_id)
                .bind(&application.applicant_org_id)
                .bind(&application.dataset_id)
                .bind(rows::to_json(&application.requested)?)
                .bind(application.purpose_category.code())
                .bind(&application.purpose)
                .bind(&application.scenario)
                .bind(application.status.code())
                .bind(application.needs_authority)
                .bind(application.created_at)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                Ok(application)
            }

            async fn get_application(&self, id: &str) -> Result<Application> {
                let row = sqlx::query("SELECT * FROM applications WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::application(&row)
            }

            async fn list_applications(
                &self,
                filter: &ApplicationFilter,
            ) -> Result<Vec<Application>> {
                sqlx::query(
                    "SELECT a.* FROM applications a JOIN datasets d ON d.id = a.dataset_id \
                     WHERE ($1 IS NULL OR a.applicant_id = $1) \
                     AND ($2 IS NULL OR d.org_id = $2) \
                     AND ($3 IS NULL OR a.dataset_id = $3) \
                     AND ($4 IS NULL OR a.status = $4) \
                     AND ($5 IS NULL OR a.step = $5) \
                     ORDER BY a.created_at DESC, a.id DESC",
                )
                .bind(filter.applicant_id.as_deref())
                .bind(filter.owner_org_id.as_deref())
                .bind(filter.dataset_id.as_deref())
                .bind(filter.status.map(ApplicationStatus::code))
                .bind(filter.step.map(rows::step_code))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::application)
                .collect()
            }

            async fn update_draft(
                &self,
                id: &str,
                requested: &Terms,
                purpose_category: PurposeCategory,
                purpose: &str,
                scenario: &str,
                needs_authority: bool,
            ) -> Result<Application> {
                let done = sqlx::query(
                    "UPDATE applications SET requested = $1, approved = $1, \
                     purpose_category = $2, purpose = $3, scenario = $4, needs_authority = $5 \
                     WHERE id = $6 AND status = $7",
                )
                .bind(rows::to_json(requested)?)
                .bind(purpose_category.code())
                .bind(purpose)
                .bind(scenario)
                .bind(needs_authority)
                .bind(id)
                .bind(ApplicationStatus::Draft.code())
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    // Tell "no longer a draft" from "no such application".
                    self.get_application(id).await?;
                    return Err(StoreError::Conflict("status".into()));
                }
                self.get_application(id).await
            }

            async fn decide_application(
                &self,
                id: &str,
                decision: ApplicationDecision,
                now: i64,
            ) -> Result<Application> {
                use ApplicationStatus::{Approved, Draft, Rejected, Submitted, Withdrawn};
                // Every decision is one UPDATE whose WHERE names the state it expects, so the
                // check and the write cannot be separated by another reviewer's decision.
                // Reviewers' remarks accumulate in `review_note`, newest last; an empty remark
                // adds nothing. `$a` is the remark (NULL when empty), `$b` it with a newline.
                let remark = |note: &str| {
                    (!note.is_empty()).then(|| (note.to_string(), format!("\n{note}")))
                };
                // The reviewer columns of the deciding step get the reviewer and the time; the
                // other step's columns keep what they have (NULL binds leave them alone).
                let reviewer_of = |step: ReviewStep, reviewer: &str| {
                    let by_department = step == ReviewStep::Department;
                    (
                        by_department.then(|| reviewer.to_string()),
                        by_department.then_some(now),
                        (!by_department).then(|| reviewer.to_string()),
                        (!by_department).then_some(now),
                    )
                };
                let affected = match &decision {
                    ApplicationDecision::Submit {
                        agreement_version,
                        agreement_sha256,
                    } => {
                        // The approved terms start as the requested ones; reviewers narrow them.
                        sqlx::query(
                            "UPDATE applications SET status = $1, step = $2, submitted_at = $3, \
                             agreement_version = $4, agreement_sha256 = $5, \
                             approved = requested \
                             WHERE id = $6 AND status = $7",
                        )
                        .bind(Submitted.code())
                        .bind(rows::step_code(ReviewStep::Department))
                        .bind(now)
                        .bind(agreement_version)
                        .bind(agreement_sha256)
                        .bind(id)
                        .bind(Draft.code())
                        .execute(&self.pool)
                        .await
                        .map_err(|e| write_error(e, &[]))?
                        .rows_affected()
                    }
                    ApplicationDecision::ForwardToAuthority {
                        reviewer,
                        approved,
                        note,
                    } => {
                        let note = remark(note);
                        sqlx::query(
                            "UPDATE applications SET step = $1, approved = $2, \
                             department_reviewer = $3, department_reviewed_at = $4, \
                             review_note = CASE WHEN $5 IS NULL THEN review_note \
                             WHEN review_note IS NULL THEN $5 ELSE review_note || $6 END, \
                             needs_authority = $10 \
                             WHERE id = $7 AND status = $8 AND step = $9",
                        )
                        .bind(rows::step_code(ReviewStep::Authority))
                        .bind(rows::to_json(approved)?)
                        .bind(reviewer)
                        .bind(now)
                        .bind(note.as_ref().map(|n| n.0.as_str()))
                        .bind(note.as_ref().map(|n| n.1.as_str()))
                        .bind(id)
                        .bind(Submitted.code())
                        .bind(rows::step_code(ReviewStep::Department))
                        // Forwarding records that the authority must approve, also when the
                        // classification was raised after the application was filed.
                        .bind(true)
                        .execute(&self.pool)
                        .await?
                        .rows_affected()
                    }
                    ApplicationDecision::Approve {
                        reviewer,
                        step,
                        approved,
                        note,
                        grant,
                    } => {
                        let note = remark(note);
                        let (dep_by, dep_at, auth_by, auth_at) = reviewer_of(*step, reviewer);
                        let grant_id = new_id();
                        let mut tx = self.pool.begin().await?;
                        // The conditional update is the first statement and a write (see the
                        // module comment). The department may give the final approval only
                        // when the authority need not approve.
                        let affected = sqlx::query(
                            "UPDATE applications SET status = $1, step = NULL, approved = $2, \
                             department_reviewer = COALESCE($3, department_reviewer), \
                             department_reviewed_at = COALESCE($4, department_reviewed_at), \
                             authority_reviewer = COALESCE($5, authority_reviewer), \
                             authority_reviewed_at = COALESCE($6, authority_reviewed_at), \
                             review_note = CASE WHEN $7 IS NULL THEN review_note \
                             WHEN review_note IS NULL THEN $7 ELSE review_note || $8 END, \
                             decided_at = $9, grant_id = $10 \
                             WHERE id = $11 AND status = $12 AND step = $13 \
                             AND (step = $14 OR NOT needs_authority)",
                        )
                        .bind(Approved.code())
                        .bind(rows::to_json(approved)?)
                        .bind(dep_by)
                        .bind(dep_at)
                        .bind(auth_by)
                        .bind(auth_at)
                        .bind(note.as_ref().map(|n| n.0.as_str()))
                        .bind(note.as_ref().map(|n| n.1.as_str()))
                        .bind(now)
                        .bind(&grant_id)
                        .bind(id)
                        .bind(Submitted.code())
                        .bind(rows::step_code(*step))
                        .bind(rows::step_code(ReviewStep::Authority))
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if affected == 1 {
                            // The grant covers the application's dataset, read in the same
                            // statement rather than trusted from the caller.
                            let (grantee_kind, grantee_id) = rows::grantee_parts(&grant.grantee);
                            sqlx::query(
                                "INSERT INTO grants (id, application_id, dataset_id, \
                                 grantee_kind, grantee_id, terms, l4_masked_approved, \
                                 privacy_budget, valid_from, valid_until, created_at) \
                                 SELECT $1, id, dataset_id, $2, $3, $4, $5, $6, $7, $8, $9 \
                                 FROM applications WHERE id = $10",
                            )
                            .bind(&grant_id)
                            .bind(grantee_kind)
                            .bind(grantee_id)
                            .bind(rows::to_json(&grant.terms)?)
                            .bind(grant.l4_masked_approved)
                            .bind(grant.privacy_budget)
                            .bind(grant.valid_from)
                            .bind(grant.valid_until)
                            .bind(now)
                            .bind(id)
                            .execute(&mut *tx)
                            .await
                            .map_err(|e| write_error(e, &[]))?;
                            tx.commit().await?;
                        }
                        affected
                    }
                    ApplicationDecision::Reject {
                        reviewer,
                        step,
                        reason,
                    } => {
                        let (dep_by, dep_at, auth_by, auth_at) = reviewer_of(*step, reviewer);
                        sqlx::query(
                            "UPDATE applications SET status = $1, step = NULL, \
                             rejection_reason = $2, \
                             department_reviewer = COALESCE($3, department_reviewer), \
                             department_reviewed_at = COALESCE($4, department_reviewed_at), \
                             authority_reviewer = COALESCE($5, authority_reviewer), \
                             authority_reviewed_at = COALESCE($6, authority_reviewed_at), \
                             decided_at = $7 \
                             WHERE id = $8 AND status = $9 AND step = $10",
                        )
                        .bind(Rejected.code())
                        .bind(reason)
                        .bind(dep_by)
                        .bind(dep_at)
                        .bind(auth_by)
                        .bind(auth_at)
                        .bind(now)
                        .bind(id)
                        .bind(Submitted.code())
                        .bind(rows::step_code(*step))
                        .execute(&self.pool)
                        .await?
                        .rows_affected()
                    }
                    ApplicationDecision::Withdraw => sqlx::query(
                        "UPDATE applications SET status = $1, step = NULL, decided_at = $2 \
                         WHERE id = $3 AND status IN ($4, $5)",
                    )
                    .bind(Withdrawn.code())
                    .bind(now)
                    .bind(id)
                    .bind(Draft.code())
                    .bind(Submitted.code())
                    .execute(&self.pool)
                    .await?
                    .rows_affected(),
                };
                if affected == 0 {
                    // Tell "not in the expected state" from "no such application".
                    self.get_application(id).await?;
                    return Err(StoreError::Conflict("status".into()));
                }
                self.get_application(id).await
            }

            async fn get_grant(&self, id: &str) -> Result<GrantRecord> {
                let row = sqlx::query("SELECT * FROM grants WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                rows::grant(&row)
            }

            async fn grant_purpose(&self, grant_id: &str) -> Result<PurposeCategory> {
                let row = sqlx::query(
                    "SELECT a.purpose_category FROM grants g \
                     JOIN applications a ON a.id = g.application_id WHERE g.id = $1",
                )
                .bind(grant_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound)?;
                rows::purpose_category(&row)
            }

            async fn list_grants_for_dataset(&self, dataset_id: &str) -> Result<Vec<GrantRecord>> {
                sqlx::query(
                    "SELECT * FROM grants WHERE dataset_id = $1 ORDER BY created_at DESC, id DESC",
                )
                .bind(dataset_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::grant)
                .collect()
            }

            async fn list_grants_for_holder(
                &self,
                user_id: Option<&str>,
                org_id: Option<&str>,
            ) -> Result<Vec<GrantRecord>> {
                // A NULL id matches nothing, so an absent user or organization drops out.
                sqlx::query(
                    "SELECT * FROM grants \
                     WHERE (grantee_kind = $1 AND grantee_id = $2) \
                     OR (grantee_kind = $3 AND grantee_id = $4) \
                     ORDER BY created_at DESC, id DESC",
                )
                .bind(rows::GRANTEE_USER)
                .bind(user_id)
                .bind(rows::GRANTEE_ORG)
                .bind(org_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::grant)
                .collect()
            }

            async fn revoke_grant(
                &self,
                id: &str,
                by: &str,
                reason: &str,
                now: i64,
            ) -> Result<GrantRecord> {
                let done = sqlx::query(
                    "UPDATE grants SET revoked_at = $1, revoked_by = $2, revoke_reason = $3 \
                     WHERE id = $4 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(by)
                .bind(reason)
                .bind(id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    // Tell "already revoked" from "no such grant".
                    self.get_grant(id).await?;
                    return Err(StoreError::Conflict("status".into()));
                }
                self.get_grant(id).await
            }

            async fn grant_rows_used(&self, grant_id: &str, day: i64) -> Result<i64> {
                let row = sqlx::query("SELECT rows FROM grant_usage WHERE grant_id = $1 AND day = $2")
                    .bind(grant_id)
                    .bind(day)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map_or(Ok(0), |r| r.int("rows"))
            }

            async fn add_grant_rows(
                &self,
                grant_id: &str,
                day: i64,
                rows: i64,
                quota: Option<i64>,
            ) -> Result<i64> {
                // The first use of a day inserts; the upsert's WHERE cannot stop an insert, so
                // a first batch larger than the quota is refused here.
                if quota.is_some_and(|q| rows > q) {
                    return Err(StoreError::Conflict("quota".into()));
                }
                // One statement adds and checks, so concurrent deliveries serialize on the row
                // (PostgreSQL) or the write lock (SQLite) and the sum never passes the quota.
                // When the WHERE fails nothing changes and no row comes back.
                let total = sqlx::query(
                    "INSERT INTO grant_usage (grant_id, day, rows) VALUES ($1, $2, $3) \
                     ON CONFLICT (grant_id, day) DO UPDATE \
                     SET rows = grant_usage.rows + excluded.rows \
                     WHERE $4 IS NULL OR grant_usage.rows + excluded.rows <= $4 \
                     RETURNING rows",
                )
                .bind(grant_id)
                .bind(day)
                .bind(rows)
                .bind(quota)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                match total {
                    Some(row) => row.int("rows"),
                    None => Err(StoreError::Conflict("quota".into())),
                }
            }

            // Results.

            async fn create_reuse(&self, reuse: NewReuse) -> Result<ReuseReport> {
                let reuse = ReuseReport {
                    id: new_id(),
                    grant_id: reuse.grant_id,
                    dataset_id: reuse.dataset_id,
                    kind: reuse.kind,
                    title: reuse.title,
                    description: reuse.description,
                    url: reuse.url,
                    created_by: reuse.created_by,
                    created_at: reuse.now,
                    accepted_at: None,
                    accepted_by: None,
                };
                sqlx::query(
                    "INSERT INTO reuses (id, grant_id, dataset_id, kind, title, description, \
                     url, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&reuse.id)
                .bind(&reuse.grant_id)
                .bind(&reuse.dataset_id)
                .bind(reuse.kind.code())
                .bind(&reuse.title)
                .bind(&reuse.description)
                .bind(&reuse.url)
                .bind(&reuse.created_by)
                .bind(reuse.created_at)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                Ok(reuse)
            }

            async fn list_reuses(&self, dataset_id: Option<&str>) -> Result<Vec<ReuseReport>> {
                sqlx::query(
                    "SELECT * FROM reuses WHERE ($1 IS NULL OR dataset_id = $1) \
                     ORDER BY created_at DESC, id DESC",
                )
                .bind(dataset_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::reuse)
                .collect()
            }

            async fn get_reuse(&self, id: &str) -> Result<ReuseReport> {
                let row = sqlx::query("SELECT * FROM reuses WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::reuse(&row.ok_or(StoreError::NotFound)?)
            }

            async fn accept_reuse(&self, id: &str, by: &str, now: i64) -> Result<ReuseReport> {
                let done = sqlx::query(
                    "UPDATE reuses SET accepted_at = $1, accepted_by = $2 \
                     WHERE id = $3 AND accepted_at IS NULL",
                )
                .bind(now)
                .bind(by)
                .bind(id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    // Tell "already accepted" from "no such result".
                    self.get_reuse(id).await?;
                    return Err(StoreError::Conflict("status".into()));
                }
                self.get_reuse(id).await
            }

            // Data demands.

            async fn create_demand(&self, d: NewDemand) -> Result<Demand> {
                let (target_org_id, target_theme) = rows::target_parts(&d.target);
                let demand = Demand {
                    id: new_id(),
                    title: d.title,
                    description: d.description,
                    fields: d.fields,
                    purpose_category: d.purpose_category,
                    target: d.target.clone(),
                    extends_dataset_id: d.extends_dataset_id,
                    created_by: d.created_by,
                    created_by_org_id: d.created_by_org_id,
                    enterprise: d.enterprise,
                    status: DemandStatus::Open,
                    due_at: d.due_at,
                    planned_at: None,
                    rejection_reason: None,
                    answer: None,
                    answered_by: None,
                    answered_at: None,
                    fulfilled_dataset_id: None,
                    fulfilled_grant_id: None,
                    fulfilled_at: None,
                    merged_into: None,
                    support_count: 0,
                    comment_count: 0,
                    created_at: d.now,
                    modified_at: d.now,
                };
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO demands (id, title, description, fields, purpose_category, \
                     target_org_id, target_theme, extends_dataset_id, created_by, \
                     created_by_org_id, enterprise, status, due_at, support_count, comment_count, \
                     created_at, modified_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, 0, $14, $14)",
                )
                .bind(&demand.id)
                .bind(&demand.title)
                .bind(&demand.description)
                .bind(rows::to_json(&demand.fields)?)
                .bind(demand.purpose_category.code())
                .bind(target_org_id)
                .bind(target_theme)
                .bind(&demand.extends_dataset_id)
                .bind(&demand.created_by)
                .bind(&demand.created_by_org_id)
                .bind(demand.enterprise)
                .bind(demand.status.code())
                .bind(demand.due_at)
                .bind(demand.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &[]))?;
                sqlx::query(
                    "INSERT INTO demand_events (id, demand_id, kind, actor_id, detail, created_at) \
                     VALUES ($1, $2, 'filed', $3, $4, $5)",
                )
                .bind(new_id())
                .bind(&demand.id)
                .bind(&demand.created_by)
                .bind(rows::to_json(&serde_json::json!({"due_at": demand.due_at}))?)
                .bind(demand.created_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(demand)
            }

            async fn get_demand(&self, id: &str) -> Result<Demand> {
                let row = sqlx::query("SELECT * FROM demands WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                rows::demand(&row.ok_or(StoreError::NotFound)?)
            }

            async fn list_demands(&self, filter: &DemandFilter) -> Result<(Vec<Demand>, i64)> {
                // Only the filters given become conditions, so the planner can use the indexes
                // (a `$1 IS NULL OR …` condition keeps SQLite from using any). Merged duplicates
                // live on in the demand they were merged into; they are listed only when asked
                // for by state. Statuses are a closed set, so "not merged" is an IN list, which
                // an index answers.
                enum Arg<'a> {
                    Text(&'a str),
                    Int(i64),
                }
                const NOT_MERGED: &str = "<not merged>";
                let mut conditions: Vec<String> = Vec::new();
                let mut args: Vec<Arg> = Vec::new();
                if let Some(org) = filter.target_org_id.as_deref() {
                    args.push(Arg::Text(org));
                    conditions.push(format!("target_org_id = ${}", args.len()));
                }
                if let Some(theme) = filter.target_theme.as_deref() {
                    args.push(Arg::Text(theme));
                    conditions.push(format!("target_theme = ${}", args.len()));
                }
                match filter.status {
                    Some(status) => {
                        args.push(Arg::Text(status.code()));
                        conditions.push(format!("status = ${}", args.len()));
                    }
                    // Filled in below: the page and the count say it differently.
                    None => conditions.push(NOT_MERGED.into()),
                }
                if let Some(at) = filter.overdue_at {
                    args.push(Arg::Int(at));
                    conditions.push(format!("status = 'open' AND due_at <= ${}", args.len()));
                }
                if let Some(user) = filter.created_by.as_deref() {
                    args.push(Arg::Text(user));
                    conditions.push(format!("created_by = ${}", args.len()));
                }
                match filter.closed {
                    Some(true) => conditions.push("status IN ('rejected', 'fulfilled')".into()),
                    Some(false) => conditions.push("status IN ('open', 'accepted')".into()),
                    None => {}
                }
                // The page says "not merged" as `<>`, which leaves the planner free to read in
                // the order's index and stop after a page; the count says it as an IN list, which
                // it answers from the status index alone.
                let where_ = format!("WHERE {}", conditions.join(" AND "))
                    .replace(NOT_MERGED, "status <> 'merged'");
                let count_where = format!("WHERE {}", conditions.join(" AND ")).replace(
                    NOT_MERGED,
                    "status IN ('open', 'accepted', 'rejected', 'fulfilled')",
                );
                let order = match filter.sort {
                    DemandSort::Supports => "ORDER BY support_count DESC, created_at DESC, id DESC",
                    DemandSort::Newest => "ORDER BY created_at DESC, id DESC",
                    DemandSort::Deadline => "ORDER BY due_at ASC, created_at ASC, id ASC",
                    DemandSort::Planned => {
                        "ORDER BY CASE WHEN planned_at IS NULL THEN 1 ELSE 0 END, planned_at ASC, \
                         created_at ASC, id ASC"
                    }
                };
                let page = format!(
                    "SELECT * FROM demands {where_} {order} LIMIT ${} OFFSET ${}",
                    args.len() + 1,
                    args.len() + 2
                );
                let mut query = sqlx::query(&page);
                for a in &args {
                    query = match a {
                        Arg::Text(t) => query.bind(*t),
                        Arg::Int(i) => query.bind(*i),
                    };
                }
                let list = query
                    .bind(filter.limit)
                    .bind(filter.offset)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(rows::demand)
                    .collect::<Result<Vec<_>>>()?;
                if filter.no_count {
                    return Ok((list, -1));
                }
                let count = format!("SELECT COUNT(*) AS n FROM demands {count_where}");
                let mut query = sqlx::query(&count);
                for a in &args {
                    query = match a {
                        Arg::Text(t) => query.bind(*t),
                        Arg::Int(i) => query.bind(*i),
                    };
                }
                let total = query.fetch_one(&self.pool).await?.int("n")?;
                Ok((list, total))
            }

            async fn list_supported_demands(
                &self,
                user_id: &str,
                limit: i64,
            ) -> Result<Vec<Demand>> {
                sqlx::query(
                    "SELECT d.* FROM demands d JOIN demand_supports s ON s.demand_id = d.id \
                     WHERE s.user_id = $1 ORDER BY s.created_at DESC, d.id LIMIT $2",
                )
                .bind(user_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::demand)
                .collect()
            }

            async fn list_user_demand_comments(
                &self,
                user_id: &str,
                limit: i64,
            ) -> Result<Vec<DemandComment>> {
                sqlx::query(
                    "SELECT * FROM demand_comments WHERE user_id = $1 \
                     ORDER BY created_at DESC, id LIMIT $2",
                )
                .bind(user_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::demand_comment)
                .collect()
            }

            // Consultations.

            async fn set_enterprise_profile(
                &self,
                org_id: &str,
                ownership: Option<model::consultation::Ownership>,
                size: Option<model::consultation::EnterpriseSize>,
                industry: Option<String>,
            ) -> Result<Organization> {
                let done = sqlx::query(
                    "UPDATE organizations SET ownership = $1, size = $2, industry = $3 WHERE id = $4",
                )
                .bind(ownership.map(|o| o.code()))
                .bind(size.map(|s| s.code()))
                .bind(industry)
                .bind(org_id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                self.get_org(org_id).await
            }

            async fn create_consultation(&self, c: NewConsultation) -> Result<Consultation> {
                let id = new_id();
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO consultations (id, org_id, title, summary, audience, opens_at, \
                     closes_at, short_reason, answers_due_at, result_summary, result_published_at, \
                     comment_count, created_by, created_at, modified_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, 0, $10, $11, $11)",
                )
                .bind(&id)
                .bind(&c.org_id)
                .bind(&c.title)
                .bind(&c.summary)
                .bind(c.audience.code())
                .bind(c.opens_at)
                .bind(c.closes_at)
                .bind(&c.short_reason)
                .bind(c.answers_due_at)
                .bind(&c.created_by)
                .bind(c.now)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &[]))?;
                for a in &c.articles {
                    sqlx::query(
                        "INSERT INTO consultation_articles (consultation_id, number, heading, body) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&id)
                    .bind(a.number)
                    .bind(&a.heading)
                    .bind(&a.body)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| write_error(e, &[]))?;
                }
                tx.commit().await?;
                self.get_consultation(&id).await
            }

            async fn get_consultation(&self, id: &str) -> Result<Consultation> {
                sqlx::query("SELECT * FROM consultations WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| rows::consultation(&r))
                    .unwrap_or(Err(StoreError::NotFound))
            }

            async fn list_consultations(
                &self,
                offset: i64,
                limit: i64,
            ) -> Result<(Vec<Consultation>, i64)> {
                let list = sqlx::query(
                    "SELECT * FROM consultations ORDER BY opens_at DESC, id LIMIT $1 OFFSET $2",
                )
                .bind(limit)
                .bind(offset)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::consultation)
                .collect::<Result<Vec<_>>>()?;
                let total = sqlx::query("SELECT COUNT(*) AS n FROM consultations")
                    .fetch_one(&self.pool)
                    .await?
                    .int("n")?;
                Ok((list, total))
            }

            async fn add_consultation_attachment(
                &self,
                a: &ConsultationAttachment,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO consultation_attachments \
                     (id, consultation_id, name, byte_size, sha256, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&a.id)
                .bind(&a.consultation_id)
                .bind(&a.name)
                .bind(a.byte_size)
                .bind(&a.sha256)
                .bind(a.created_at)
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                Ok(())
            }

            async fn list_consultation_attachments(
                &self,
                consultation_id: &str,
            ) -> Result<Vec<ConsultationAttachment>> {
                sqlx::query(
                    "SELECT * FROM consultation_attachments WHERE consultation_id = $1 \
                     ORDER BY created_at, id",
                )
                .bind(consultation_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::attachment)
                .collect()
            }

            async fn list_articles(&self, consultation_id: &str) -> Result<Vec<Article>> {
                sqlx::query(
                    "SELECT * FROM consultation_articles WHERE consultation_id = $1 ORDER BY number",
                )
                .bind(consultation_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::article)
                .collect()
            }

            async fn add_consultation_comment(
                &self,
                c: NewConsultationComment,
            ) -> Result<ConsultationComment> {
                let id = new_id();
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO consultation_comments (id, consultation_id, article, user_id, \
                     participant, ownership, size, stance, body, support_count, withdrawn, \
                     created_at, modified_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $11)",
                )
                .bind(&id)
                .bind(&c.consultation_id)
                .bind(c.article)
                .bind(&c.user_id)
                .bind(rows::participant_code(c.participant))
                .bind(c.ownership.map(|o| o.code()))
                .bind(c.size.map(|s| s.code()))
                .bind(c.stance.code())
                .bind(&c.body)
                .bind(false)
                .bind(c.now)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &[]))?;
                sqlx::query(
                    "UPDATE consultations SET comment_count = comment_count + 1 WHERE id = $1",
                )
                .bind(&c.consultation_id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                self.get_consultation_comment(&id).await
            }

            async fn get_consultation_comment(&self, id: &str) -> Result<ConsultationComment> {
                sqlx::query("SELECT * FROM consultation_comments WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(|r| rows::consultation_comment(&r))
                    .unwrap_or(Err(StoreError::NotFound))
            }

            async fn list_consultation_comments(
                &self,
                consultation_id: &str,
            ) -> Result<Vec<ConsultationComment>> {
                sqlx::query(
                    "SELECT * FROM consultation_comments WHERE consultation_id = $1 \
                     ORDER BY created_at, id",
                )
                .bind(consultation_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::consultation_comment)
                .collect()
            }

            async fn change_consultation_comment(
                &self,
                id: &str,
                change: CommentChange,
                actor_id: &str,
                now: i64,
            ) -> Result<ConsultationComment> {
                // Each change names in its WHERE the state it applies to, so a race loses
                // cleanly with `Conflict`.
                let done = match &change {
                    CommentChange::Edit { stance, body } => sqlx::query(
                        "UPDATE consultation_comments SET stance = $1, body = $2, modified_at = $3 \
                         WHERE id = $4 AND user_id = $5 AND withdrawn = $6 AND adoption IS NULL",
                    )
                    .bind(stance.code())
                    .bind(body)
                    .bind(now)
                    .bind(id)
                    .bind(actor_id)
                    .bind(false),
                    CommentChange::Withdraw => sqlx::query(
                        "UPDATE consultation_comments SET withdrawn = $1, modified_at = $2 \
                         WHERE id = $3 AND user_id = $4 AND withdrawn = $5 AND adoption IS NULL",
                    )
                    .bind(true)
                    .bind(now)
                    .bind(id)
                    .bind(actor_id)
                    .bind(false),
                    CommentChange::Hide { reason } => sqlx::query(
                        "UPDATE consultation_comments SET hidden_reason = $1, hidden_by = $2, \
                         modified_at = $3 WHERE id = $4 AND hidden_reason IS NULL",
                    )
                    .bind(reason)
                    .bind(actor_id)
                    .bind(now)
                    .bind(id),
                    CommentChange::Answer { adoption, answer } => sqlx::query(
                        "UPDATE consultation_comments SET adoption = $1, answer = $2, \
                         answered_by = $3, answered_at = $4, modified_at = $4 \
                         WHERE id = $5 AND adoption IS NULL",
                    )
                    .bind(adoption.code())
                    .bind(answer)
                    .bind(actor_id)
                    .bind(now)
                    .bind(id),
                }
                .execute(&self.pool)
                .await
                .map_err(|e| write_error(e, &[]))?;
                if done.rows_affected() == 0 {
                    self.get_consultation_comment(id).await?;
                    return Err(StoreError::Conflict("comment".into()));
                }
                self.get_consultation_comment(id).await
            }

            async fn support_consultation_comment(
                &self,
                comment_id: &str,
                user_id: &str,
                now: i64,
            ) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "INSERT INTO consultation_comment_supports (comment_id, user_id, created_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (comment_id, user_id) DO NOTHING",
                )
                .bind(comment_id)
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &[]))?;
                let added = done.rows_affected() > 0;
                if added {
                    sqlx::query(
                        "UPDATE consultation_comments SET support_count = support_count + 1 \
                         WHERE id = $1",
                    )
                    .bind(comment_id)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(added)
            }

            async fn publish_consultation_result(
                &self,
                id: &str,
                summary: &str,
                now: i64,
            ) -> Result<Consultation> {
                let done = sqlx::query(
                    "UPDATE consultations SET result_summary = $1, result_published_at = $2, \
                     modified_at = $2 WHERE id = $3 AND result_published_at IS NULL",
                )
                .bind(summary)
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    self.get_consultation(id).await?;
                    return Err(StoreError::Conflict("result".into()));
                }
                self.get_consultation(id).await
            }

            async fn mark_consultation_close_logged(&self, id: &str, now: i64) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE consultations SET close_logged_at = $1 \
                     WHERE id = $2 AND close_logged_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn list_user_consultation_comments(
                &self,
                user_id: &str,
                limit: i64,
            ) -> Result<Vec<ConsultationComment>> {
                sqlx::query(
                    "SELECT * FROM consultation_comments WHERE user_id = $1 \
                     ORDER BY created_at DESC, id LIMIT $2",
                )
                .bind(user_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::consultation_comment)
                .collect()
            }

            async fn demand_stats(&self, now: i64) -> Result<Vec<DemandGroup>> {
                // Two GROUP BYs: the counts, then the days from filing to answer (whole days in
                // China Standard Time), from which the caller takes medians exactly.
                let counts = sqlx::query(
                    "SELECT target_org_id, target_theme, \
                     CAST(COUNT(*) AS BIGINT) AS demands, \
                     CAST(SUM(CASE WHEN enterprise THEN 1 ELSE 0 END) AS BIGINT) AS enterprise, \
                     CAST(SUM(support_count) AS BIGINT) AS supports, \
                     CAST(SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS BIGINT) AS open, \
                     CAST(SUM(CASE WHEN status = 'accepted' THEN 1 ELSE 0 END) AS BIGINT) \
                        AS accepted, \
                     CAST(SUM(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS BIGINT) \
                        AS rejected, \
                     CAST(SUM(CASE WHEN status = 'fulfilled' THEN 1 ELSE 0 END) AS BIGINT) \
                        AS fulfilled, \
                     CAST(SUM(CASE WHEN status = 'open' AND due_at <= $1 THEN 1 ELSE 0 END) \
                        AS BIGINT) AS overdue, \
                     CAST(SUM(CASE WHEN answered_at IS NOT NULL AND answered_at >= due_at \
                        THEN 1 ELSE 0 END) AS BIGINT) AS answered_late \
                     FROM demands WHERE status <> 'merged' \
                     GROUP BY target_org_id, target_theme",
                )
                .bind(now)
                .fetch_all(&self.pool)
                .await?;
                let mut groups = Vec::with_capacity(counts.len());
                for r in &counts {
                    groups.push(DemandGroup {
                        target: rows::target(r)?,
                        counts: model::demand::DemandCounts {
                            demands: r.int("demands")?,
                            enterprise: r.int("enterprise")?,
                            supports: r.int("supports")?,
                            open: r.int("open")?,
                            accepted: r.int("accepted")?,
                            rejected: r.int("rejected")?,
                            fulfilled: r.int("fulfilled")?,
                            overdue: r.int("overdue")?,
                            answered_late: r.int("answered_late")?,
                        },
                        answer_days: Vec::new(),
                    });
                }
                let days = sqlx::query(
                    "SELECT target_org_id, target_theme, \
                     CAST((answered_at + $1) / $2 - (created_at + $1) / $2 AS BIGINT) AS days, \
                     CAST(COUNT(*) AS BIGINT) AS n \
                     FROM demands WHERE status <> 'merged' AND answered_at IS NOT NULL \
                     GROUP BY target_org_id, target_theme, days",
                )
                .bind(model::calendar::CST_OFFSET_MS)
                .bind(model::calendar::DAY_MS)
                .fetch_all(&self.pool)
                .await?;
                for r in &days {
                    let target = rows::target(r)?;
                    if let Some(g) = groups.iter_mut().find(|g| g.target == target) {
                        g.answer_days.push((r.int("days")?, r.int("n")?));
                    }
                }
                Ok(groups)
            }

            async fn change_demand(
                &self,
                id: &str,
                expected: DemandStatus,
                change: DemandChange,
                actor_id: &str,
                detail: serde_json::Value,
                now: i64,
            ) -> Result<Demand> {
                let mut tx = self.pool.begin().await?;
                // Each change is one UPDATE whose WHERE names the state the caller saw, so two
                // answers cannot both be applied.
                let (kind, done) = match &change {
                    DemandChange::Edit { title, description } => (
                        "edit",
                        sqlx::query(
                            "UPDATE demands SET title = $1, description = $2, modified_at = $3 \
                             WHERE id = $4 AND status = $5",
                        )
                        .bind(title)
                        .bind(description)
                        .bind(now)
                        .bind(id)
                        .bind(expected.code())
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| write_error(e, &[]))?,
                    ),
                    DemandChange::Accept { planned_at, answer } => (
                        "accept",
                        sqlx::query(
                            "UPDATE demands SET status = 'accepted', planned_at = $1, answer = $2, \
                             answered_by = $3, answered_at = $4, modified_at = $4 \
                             WHERE id = $5 AND status = $6",
                        )
                        .bind(planned_at)
                        .bind(answer)
                        .bind(actor_id)
                        .bind(now)
                        .bind(id)
                        .bind(expected.code())
                        .execute(&mut *tx)
                        .await?,
                    ),
                    DemandChange::Reject { reason, answer } => (
                        "reject",
                        sqlx::query(
                            "UPDATE demands SET status = 'rejected', rejection_reason = $1, \
                             answer = $2, answered_by = $3, answered_at = $4, modified_at = $4 \
                             WHERE id = $5 AND status = $6",
                        )
                        .bind(reason.code())
                        .bind(answer)
                        .bind(actor_id)
                        .bind(now)
                        .bind(id)
                        .bind(expected.code())
                        .execute(&mut *tx)
                        .await?,
                    ),
                    DemandChange::Fulfil { dataset_id, grant_id } => (
                        "fulfil",
                        sqlx::query(
                            "UPDATE demands SET status = 'fulfilled', fulfilled_dataset_id = $1, \
                             fulfilled_grant_id = $2, fulfilled_at = $3, modified_at = $3 \
                             WHERE id = $4 AND status = $5",
                        )
                        .bind(dataset_id)
                        .bind(grant_id)
                        .bind(now)
                        .bind(id)
                        .bind(expected.code())
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| write_error(e, &[]))?,
                    ),
                    DemandChange::Transfer { to_org_id, due_at } => (
                        "transfer",
                        sqlx::query(
                            "UPDATE demands SET target_org_id = $1, target_theme = NULL, \
                             due_at = $2, modified_at = $3 WHERE id = $4 AND status = $5",
                        )
                        .bind(to_org_id)
                        .bind(due_at)
                        .bind(now)
                        .bind(id)
                        .bind(expected.code())
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| write_error(e, &[]))?,
                    ),
                    DemandChange::Merge { into } => {
                        let done = sqlx::query(
                            "UPDATE demands SET status = 'merged', merged_into = $1, modified_at = $2 \
                             WHERE id = $3 AND status = $4 AND id <> $1",
                        )
                        .bind(into)
                        .bind(now)
                        .bind(id)
                        .bind(expected.code())
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| write_error(e, &[]))?;
                        if done.rows_affected() > 0 {
                            // The supports move, once per user: one who supported both keeps
                            // one support. The counts are recounted from the rows.
                            sqlx::query(
                                "INSERT INTO demand_supports (demand_id, user_id, created_at) \
                                 SELECT $1, s.user_id, s.created_at FROM demand_supports s \
                                 WHERE s.demand_id = $2 AND NOT EXISTS (SELECT 1 FROM demand_supports t \
                                 WHERE t.demand_id = $1 AND t.user_id = s.user_id)",
                            )
                            .bind(into)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                            sqlx::query("DELETE FROM demand_supports WHERE demand_id = $1")
                                .bind(id)
                                .execute(&mut *tx)
                                .await?;
                            for d in [id, into.as_str()] {
                                sqlx::query(
                                    "UPDATE demands SET support_count = (SELECT COUNT(*) FROM \
                                     demand_supports WHERE demand_id = $1), modified_at = $2 WHERE id = $1",
                                )
                                .bind(d)
                                .bind(now)
                                .execute(&mut *tx)
                                .await?;
                            }
                        }
                        ("merge", done)
                    }
                };
                if done.rows_affected() == 0 {
                    drop(tx);
                    // Tell "no such demand" from "not in that state any more".
                    self.get_demand(id).await?;
                    return Err(StoreError::Conflict("status".into()));
                }
                sqlx::query(
                    "INSERT INTO demand_events (id, demand_id, kind, actor_id, detail, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(new_id())
                .bind(id)
                .bind(kind)
                .bind(actor_id)
                .bind(rows::to_json(&detail)?)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                self.get_demand(id).await
            }

            async fn support_demand(&self, demand_id: &str, user_id: &str, now: i64) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "INSERT INTO demand_supports (demand_id, user_id, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (demand_id, user_id) DO NOTHING",
                )
                .bind(demand_id)
                .bind(user_id)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &[]))?;
                let added = done.rows_affected() > 0;
                if added {
                    sqlx::query(
                        "UPDATE demands SET support_count = support_count + 1 WHERE id = $1",
                    )
                    .bind(demand_id)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(added)
            }

            async fn unsupport_demand(&self, demand_id: &str, user_id: &str, _now: i64) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "DELETE FROM demand_supports WHERE demand_id = $1 AND user_id = $2",
                )
                .bind(demand_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                let removed = done.rows_affected() > 0;
                if removed {
                    sqlx::query(
                        "UPDATE demands SET support_count = support_count - 1 WHERE id = $1",
                    )
                    .bind(demand_id)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(removed)
            }

            async fn supports_demand(&self, demand_id: &str, user_id: &str) -> Result<bool> {
                Ok(sqlx::query(
                    "SELECT 1 AS one FROM demand_supports WHERE demand_id = $1 AND user_id = $2",
                )
                .bind(demand_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?
                .is_some())
            }

            async fn add_demand_comment(
                &self,
                demand_id: &str,
                user_id: &str,
                body: &str,
                now: i64,
            ) -> Result<DemandComment> {
                let comment = DemandComment {
                    id: new_id(),
                    demand_id: demand_id.to_string(),
                    user_id: user_id.to_string(),
                    body: body.to_string(),
                    created_at: now,
                };
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO demand_comments (id, demand_id, user_id, body, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&comment.id)
                .bind(&comment.demand_id)
                .bind(&comment.user_id)
                .bind(&comment.body)
                .bind(comment.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| write_error(e, &[]))?;
                sqlx::query("UPDATE demands SET comment_count = comment_count + 1 WHERE id = $1")
                    .bind(demand_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(comment)
            }

            async fn list_demand_comments(&self, demand_id: &str) -> Result<Vec<DemandComment>> {
                sqlx::query(
                    "SELECT * FROM demand_comments WHERE demand_id = $1 ORDER BY created_at, id",
                )
                .bind(demand_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::demand_comment)
                .collect()
            }

            async fn list_demand_history(&self, demand_id: &str) -> Result<Vec<DemandHistory>> {
                sqlx::query(
                    "SELECT * FROM demand_events WHERE demand_id = $1 ORDER BY created_at, id",
                )
                .bind(demand_id)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::demand_history)
                .collect()
            }

            async fn catalog_totals(&self) -> Result<CatalogTotals> {
                let row = sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM datasets) AS datasets, \
                     COUNT(*) AS versions, \
                     CAST(COALESCE(SUM(row_count), 0) AS BIGINT) AS row_total, \
                     CAST(COALESCE(SUM(byte_size), 0) AS BIGINT) AS byte_total \
                     FROM versions",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok(CatalogTotals {
                    datasets: row.int("datasets")?,
                    versions: row.int("versions")?,
                    rows: row.int("row_total")?,
                    bytes: row.int("byte_total")?,
                })
            }

            // The access log.

            async fn log_size(&self) -> Result<i64> {
                let row = sqlx::query("SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM log_leaves")
                    .fetch_one(&self.pool)
                    .await?;
                row.int("n")
            }

            async fn log_hashes(&self, ids: &[i64]) -> Result<Vec<[u8; 32]>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let placeholders: Vec<String> =
                    (1..=ids.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT id, hash FROM log_hashes WHERE id IN ({})",
                    placeholders.join(", ")
                );
                let mut query = sqlx::query(&sql);
                for id in ids {
                    query = query.bind(*id);
                }
                let mut found = std::collections::HashMap::with_capacity(ids.len());
                for row in query.fetch_all(&self.pool).await? {
                    let hash: [u8; 32] = row.blob("hash")?.try_into().map_err(|_| {
                        StoreError::Corrupt("log_hashes: a hash is not 32 bytes".into())
                    })?;
                    found.insert(row.int("id")?, hash);
                }
                ids.iter()
                    .map(|id| {
                        found.get(id).copied().ok_or_else(|| {
                            StoreError::Corrupt(format!("log_hashes: stored hash {id} is missing"))
                        })
                    })
                    .collect()
            }

            async fn log_append(
                &self,
                start: i64,
                entries: &[NewLogEntry],
                hashes_start: i64,
                hashes: &[[u8; 32]],
            ) -> Result<()> {
                if entries.is_empty() {
                    return Ok(());
                }
                // Any unique violation means another writer took an index first.
                let taken = |e: sqlx::Error| match write_error(e, &[]) {
                    StoreError::Conflict(_) => StoreError::Conflict("idx".into()),
                    other => other,
                };
                let mut tx = self.pool.begin().await?;
                self.log_turn(&mut tx).await?;
                for (i, e) in entries.iter().enumerate() {
                    let idx = start + i as i64;
                    sqlx::query(
                        "INSERT INTO log_leaves (idx, data, kind, dataset, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(idx)
                    .bind(&e.data)
                    .bind(&e.kind)
                    .bind(&e.dataset)
                    .bind(e.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(taken)?;
                    if i == 0 && start > 0 {
                        // Now no one else can append (the first insert took SQLite's write
                        // lock; PostgreSQL's writers take turns), so the leaf before must exist
                        // or the caller's size was stale.
                        let before = sqlx::query("SELECT idx FROM log_leaves WHERE idx = $1")
                            .bind(start - 1)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if before.is_none() {
                            return Err(StoreError::Conflict("idx".into()));
                        }
                    }
                    sqlx::query("INSERT INTO log_details (idx, salt, detail) VALUES ($1, $2, $3)")
                        .bind(idx)
                        .bind(&e.salt)
                        .bind(&e.detail)
                        .execute(&mut *tx)
                        .await
                        .map_err(taken)?;
                    // The month's usage of the dataset, with the rows a data leaf delivered.
                    if let Some(dataset) = &e.dataset {
                        sqlx::query(
                            "INSERT INTO usage_monthly (month, dataset, kind, leaves, rows) \
                             VALUES ($1, $2, $3, 1, $4) \
                             ON CONFLICT (month, dataset, kind) DO UPDATE SET \
                             leaves = usage_monthly.leaves + 1, \
                             rows = usage_monthly.rows + excluded.rows",
                        )
                        .bind(model::calendar::cst_month(e.created_at))
                        .bind(dataset)
                        .bind(&e.kind)
                        .bind(e.rows)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                for (i, hash) in hashes.iter().enumerate() {
                    sqlx::query("INSERT INTO log_hashes (id, hash) VALUES ($1, $2)")
                        .bind(hashes_start + i as i64)
                        .bind(&hash[..])
                        .execute(&mut *tx)
                        .await
                        .map_err(taken)?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn log_entries(&self, start: i64, end: i64) -> Result<Vec<LogEntry>> {
                sqlx::query(
                    "SELECT * FROM log_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx",
                )
                .bind(start)
                .bind(end)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::log_entry)
                .collect()
            }

            async fn log_recent(&self, dataset: Option<&str>, limit: i64) -> Result<Vec<LogEntry>> {
                sqlx::query(
                    "SELECT * FROM log_leaves WHERE ($1 IS NULL OR dataset = $1) \
                     ORDER BY idx DESC LIMIT $2",
                )
                .bind(dataset)
                .bind(page_limit(limit))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(rows::log_entry)
                .collect()
            }

            async fn log_detail(&self, index: i64) -> Result<LogDetail> {
                let row = sqlx::query("SELECT * FROM log_details WHERE idx = $1")
                    .bind(index)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Ok(LogDetail {
                    index: row.int("idx")?,
                    salt: row.text("salt")?,
                    detail: row.text("detail")?,
                })
            }

            async fn log_counts(&self) -> Result<Vec<LogCount>> {
                sqlx::query(
                    "SELECT dataset, kind, COUNT(*) AS n FROM log_leaves \
                     WHERE dataset IS NOT NULL GROUP BY dataset, kind \
                     ORDER BY n DESC, dataset, kind",
                )
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| {
                    Ok(LogCount {
                        dataset: r.text("dataset")?,
                        kind: r.text("kind")?,
                        count: r.int("n")?,
                    })
                })
                .collect()
            }
        }
    };
}

pub(super) use impl_store;
