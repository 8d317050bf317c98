//! ringaio-reactor (in progress).
