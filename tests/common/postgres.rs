//! A fresh PostgreSQL database per test, dropped afterwards. PostgreSQL runs on
//! 127.0.0.1:5432 on these machines (user postgres, trust auth); `TEST_POSTGRES_URL` names
//! another admin connection. Without a server, a developer's run skips loudly and a CI run fails.

use sqlx::Connection;

pub fn admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    name: String,
}

impl TestDatabase {
    /// Creates a database, or returns `None` (after a loud message) when PostgreSQL is not
    /// reachable outside CI.
    pub async fn create() -> Option<TestDatabase> {
        let admin = admin_url();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(conn) => conn,
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!("PostgreSQL is required under CI ({admin}): {e}")
            }
            Err(e) => {
                eprintln!("\n!!!!! SKIPPED: PostgreSQL is not reachable at {admin} ({e}) !!!!!\n");
                return None;
            }
        };
        let name = format!("confide_test_{}", confide::store::random_id());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
        Some(TestDatabase {
            url: format!("{base}/{name}"),
            name,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (admin_url(), self.name.clone());
        // Drop runs outside any async context we could borrow: use a small runtime of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}
