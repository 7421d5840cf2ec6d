//! ringfix-messages: the generated modules used as an application would.

mod fix44;
