//! Delivering change events to webhook subscriptions: [`sign`] signs them as
//! the Standard Webhooks specification says, [`address`] decides where they
//! may go, [`send`] makes one attempt over HTTP, and [`worker`] runs inside
//! `lvzhi serve`, claiming subscriptions with work and delivering in sequence
//! order. The subscriptions and their deliveries are read and written by
//! [`crate::domain::webhook`].

pub mod address;
pub mod send;
pub mod sign;
pub mod worker;
