//! `cohort-ds-load`: a load generator for `cohort-ds` (in progress).

fn main() {}
