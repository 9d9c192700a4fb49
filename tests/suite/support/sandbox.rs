//! The sandbox spoken to by hand: started in-process on 127.0.0.1:0 (one per test) with the
//! suite's configuration, and a plain reqwest client speaking the contract — nothing of
//! `entitle::api`, so a client bug cannot hide a sandbox bug.

use entitle::sandbox::{self, RunningSandbox, SandboxConfig, Seed};
use serde_json::Value;

use super::{CLIENT_ID, SECRET, sandbox_config};

pub(crate) struct Sb {
    pub sandbox: RunningSandbox,
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

/// One answer: HTTP status, parsed body, raw text and the Retry-After header.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: u16,
    pub json: Value,
    pub text: String,
    pub retry_after: Option<String>,
}

impl Answer {
    pub(crate) fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("")
    }
    pub(crate) fn detail(&self) -> &str {
        self.json["detailMessage"].as_str().unwrap_or("")
    }
    pub(crate) fn result(&self) -> &Value {
        &self.json["result"]
    }
    #[track_caller]
    pub(crate) fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{}", self.text);
        assert_eq!(self.code(), "success", "{}", self.text);
        &self.json["result"]
    }
    /// Asserts an error envelope.
    #[track_caller]
    pub(crate) fn refused(&self, status: u16, code: &str) -> &str {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.code(), code, "{}", self.text);
        assert_eq!(self.json["status"].as_u64(), Some(u64::from(status)));
        self.detail()
    }
    /// Asserts a `business_rule_violation` whose message names `rule`.
    #[track_caller]
    pub(crate) fn violates(&self, rule: &str) {
        let detail = self.refused(400, "business_rule_violation");
        assert!(detail.contains(rule), "expected `{rule}` in: {detail}");
    }
}

impl Sb {
    pub(crate) async fn demo() -> Sb {
        Sb::with(sandbox_config()).await
    }

    pub(crate) async fn seeded(seed: Seed) -> Sb {
        Sb::with(SandboxConfig {
            seed,
            ..sandbox_config()
        })
        .await
    }

    pub(crate) async fn with(config: SandboxConfig) -> Sb {
        let sandbox = sandbox::start(config).await.expect("sandbox starts");
        let base = sandbox.base_url();
        entitle::tls::use_ring();
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .unwrap();
        let mut sb = Sb {
            sandbox,
            http,
            base,
            token: String::new(),
        };
        sb.token = sb.login().await;
        sb
    }

    pub(crate) async fn login(&self) -> String {
        let a = self
            .token_request(&[
                ("grant_type", "pp_credentials"),
                ("client_id", CLIENT_ID),
                ("client_secret", SECRET),
            ])
            .await;
        a.ok()["token"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn token_request(&self, form: &[(&str, &str)]) -> Answer {
        let resp = self
            .http
            .post(format!("{}/auth/openapi/v1/oauth/token", self.base))
            .header("User-Agent", "sandbox-tests")
            .form(form)
            .send()
            .await
            .unwrap();
        answer(resp).await
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.get_with(path, Some(&self.token), Some("sandbox-tests"))
            .await
    }

    pub(crate) async fn get_with(
        &self,
        path: &str,
        token: Option<&str>,
        agent: Option<&str>,
    ) -> Answer {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(a) = agent {
            req = req.header("User-Agent", a);
        }
        answer(req.send().await.unwrap()).await
    }

    pub(crate) async fn post(&self, path: &str, body: &str) -> Answer {
        answer(self.post_raw(path, body).await.unwrap()).await
    }

    pub(crate) async fn post_raw(
        &self,
        path: &str,
        body: &str,
    ) -> reqwest::Result<reqwest::Response> {
        self.http
            .post(format!("{}{path}", self.base))
            .header("User-Agent", "sandbox-tests")
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
    }

    pub(crate) async fn save(&self, body: &str) -> Answer {
        self.post("/order/openapi/order/v1/save", body).await
    }

    pub(crate) async fn quote(&self, body: &str) -> Answer {
        self.post("/pricing/openapi/purchase/v1/pricing/calculate", body)
            .await
    }

    pub(crate) async fn detail(&self, product: u32, sn: &str) -> Value {
        self.get(&format!(
            "/product/openapi/instance_product/v1/detail?productId={product}&productNo={sn}"
        ))
        .await
        .ok()
        .clone()
    }

    pub(crate) async fn admin_get(&self, path: &str) -> Value {
        let resp = self
            .http
            .get(format!("{}/_sandbox/{path}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    /// POSTs to an admin endpoint and asserts it answered 200.
    pub(crate) async fn admin(&self, path: &str, body: &str) -> Value {
        let (status, answer) = self.admin_post(path, body).await;
        assert_eq!(status, 200, "POST /_sandbox/{path} {body}: {answer}");
        answer
    }

    /// Faults served so far, by kind.
    pub(crate) async fn served(&self) -> Value {
        self.admin_get("faults").await["served"].clone()
    }

    /// An admin POST's status and body, for tests of refusals.
    pub(crate) async fn admin_post(&self, path: &str, body: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/_sandbox/{path}", self.base))
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap())
    }

    /// Orders as the admin log has them.
    pub(crate) async fn orders(&self) -> Vec<Value> {
        self.admin_get("orders").await.as_array().unwrap().clone()
    }
}

pub(crate) async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = resp.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        json,
        text,
        retry_after,
    }
}
