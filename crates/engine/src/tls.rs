//! TLS for the Partner API and the shared backend: rustls on ring, with the platform's roots.
//! Verification is always on; nothing here can switch it off.

/// Makes ring rustls's process-wide provider, once, before the first TLS client is built (the
/// client and the backend call it; so must a program that builds its own `reqwest` client). An
/// already installed provider (a caller's choice, or a second call) is kept.
pub fn use_ring() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
