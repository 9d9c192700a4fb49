//! Who pays: the billing contact every order of a PBX goes to (vendor rule 8), the declared one
//! or the account's only one, checked against the contacts the account has.

use crate::manifest::{Code, ContactRef};
use crate::model::{Contact, Id};

use super::pbx::Planner;
use super::rule::Rule;

impl Planner<'_> {
    /// The billing contact orders go to: the declared one, or the account's only contact.
    pub(super) fn billing_id(&mut self, contacts: Option<&[Contact]>) -> Option<Id> {
        let d = self.desired;
        let Some(contacts) = contacts else {
            self.error(
                Code::InternalError,
                &d.at,
                None,
                "billing contacts were not read".into(),
                Some("this is a bug in entitle; please report it".into()),
            );
            return None;
        };
        let Some(want) = &d.billing_contact else {
            if let [only] = contacts {
                return Some(only.id);
            }
            self.error(
                Code::MissingField,
                &d.at,
                Some(Rule::AccountReferences),
                "orders need a billing contact and none is declared".into(),
                Some(format!(
                    "add `billingContact:` to the PBX or to `defaults:` (the account has {})",
                    contacts
                        .iter()
                        .map(|c| c.email.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            return None;
        };
        let found = contacts.iter().find(|c| match &want.value {
            ContactRef::Id(id) => c.id == *id,
            ContactRef::Email(e) => c.email.eq_ignore_ascii_case(e.trim()),
        });
        match found {
            Some(c) => Some(c.id),
            None => {
                let help = match &want.value {
                    ContactRef::Email(e) => {
                        crate::manifest::suggest(e, contacts.iter().map(|c| c.email.as_str()))
                            .map(|s| format!("did you mean `{s}`?"))
                    }
                    ContactRef::Id(_) => None,
                }
                .or_else(|| {
                    Some(format!(
                        "the account's billing contacts are: {}",
                        contacts
                            .iter()
                            .map(|c| format!("{} ({})", c.email, c.id))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                });
                self.error(
                    Code::UnknownBillingContact,
                    &want.at,
                    Some(Rule::AccountReferences),
                    format!(
                        "billing contact `{}` is not one of the account's",
                        want.value
                    ),
                    help,
                );
                None
            }
        }
    }
}
