//! ringaio (in progress).
