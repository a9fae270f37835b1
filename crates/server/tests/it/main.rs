//! Integration tests: the real server on port 0, driven with a real HTTP client.
//! One binary for link time; modules by area.

mod common;

mod access;
mod accounts;
mod adversarial;
mod catalog;
mod ckan;
mod cleanroom;
mod consultations;
mod contribution;
mod datarequests;
mod demands;
mod demo;
mod feedback;
mod interop;
mod log;
mod objects;
mod openapi;
mod paths;
mod points;
mod portal;
mod quality;
mod uploads;
