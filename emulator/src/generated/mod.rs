//! Files written by the code generator (`codegen/emit_emulator.py`; `make
//! generate`): the route rows of Refold's operations and their documented
//! examples.

pub(crate) mod routes;
