//! JWT verification (every authenticated request and socket): `cargo bench -p parley-auth --bench jwt`.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use parley_auth::JwtKeys;

fn jwt(c: &mut Criterion) {
    let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef0123456789abcdef");
    let token = keys.issue(12345, 678, 900).unwrap();
    c.bench_function("jwt_verify", |b| b.iter(|| keys.verify(&token).unwrap()));
    c.bench_function("jwt_issue", |b| {
        b.iter(|| keys.issue(12345, 678, 900).unwrap())
    });
}

criterion_group!(benches, jwt);
criterion_main!(benches);
