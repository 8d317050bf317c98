//! `#[ringaio::main]` and `#[ringaio::test]`: an `async fn` run to completion on a ringaio
//! runtime. Use them through the `ringaio` crate (its `macros` feature, on by default).
//!
//! Both take the runtime builder's options as `name = value` pairs:
//! `entries = 64`, `backend = "uring"` or `"fallback"`, `pool_threads = 4`,
//! `fixed_files = 0`, `fixed_buffers = 0`. Without `backend`, `RINGAIO_BACKEND` decides,
//! as for [`Runtime::builder`](https://docs.rs/ringaio).
//!
//! ```
//! #[ringaio::main(entries = 64)]
//! async fn main() -> std::io::Result<()> {
//!     ringaio::time::sleep(std::time::Duration::from_millis(1)).await
//! }
//! ```

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{quote, quote_spanned};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ItemFn, Lit, MetaNameValue, Token};

/// Runs an `async fn main` on a new ringaio runtime.
///
/// Options as `name = value`: `entries`, `backend` (`"uring"` or `"fallback"`),
/// `pool_threads`, `fixed_files`, `fixed_buffers`.
///
/// # Panics
/// The generated `main` panics when the runtime cannot be built, as `ringaio::block_on`.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into(), false).into()
}

/// Runs an `async fn` test on a new ringaio runtime (a `#[test]` of its own).
///
/// Options as for [`macro@main`]. Without `backend`, `RINGAIO_BACKEND` picks the backend, so
/// one test runs on either.
///
/// # Panics
/// The generated test panics when the runtime cannot be built.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args.into(), item.into(), true).into()
}

fn expand(args: TokenStream2, item: TokenStream2, test: bool) -> TokenStream2 {
    let mut func: ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => return with_item(e, item),
    };
    let options = match builder_calls(args) {
        Ok(calls) => calls,
        Err(e) => return with_item(e, item),
    };
    let which = if test { "test" } else { "main" };
    if func.sig.asyncness.take().is_none() {
        let e = syn::Error::new(
            func.sig.fn_token.span(),
            format!("#[ringaio::{which}] needs an `async fn`"),
        );
        return with_item(e, item);
    }
    if !func.sig.inputs.is_empty() {
        let e = syn::Error::new(
            func.sig.inputs.span(),
            format!("#[ringaio::{which}] functions take no arguments"),
        );
        return with_item(e, item);
    }
    if !test && func.sig.ident != "main" {
        let e = syn::Error::new(
            func.sig.ident.span(),
            "#[ringaio::main] goes on `async fn main`",
        );
        return with_item(e, item);
    }
    let body = &func.block;
    let output = match &func.sig.output {
        syn::ReturnType::Default => quote!(()),
        syn::ReturnType::Type(_, ty) => quote!(#ty),
    };
    let span = body.span();
    let new_body = quote_spanned! {span=>
        {
            let body = async move #body;
            // Names the output, so `?` in the body knows its error type.
            let body: ::core::pin::Pin<&mut dyn ::core::future::Future<Output = #output>> =
                ::core::pin::pin!(body);
            #[allow(unused_mut)]
            let mut builder = ::ringaio::Runtime::builder();
            #(#options)*
            match builder.build() {
                ::core::result::Result::Ok(rt) => rt.block_on(body),
                ::core::result::Result::Err(e) => {
                    ::core::panic!("ringaio: cannot build a runtime: {}", e)
                }
            }
        }
    };
    func.block = match syn::parse2(new_body) {
        Ok(block) => block,
        Err(e) => return with_item(e, item),
    };
    let test_attr = if test {
        quote!(#[::core::prelude::v1::test])
    } else {
        quote!()
    };
    quote! {
        #test_attr
        #func
    }
}

/// The item unchanged, with the error beside it: other errors in it still show.
fn with_item(e: syn::Error, item: TokenStream2) -> TokenStream2 {
    let e = e.to_compile_error();
    quote!(#e #item)
}

/// One builder call per option.
fn builder_calls(args: TokenStream2) -> syn::Result<Vec<TokenStream2>> {
    let pairs = Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(args)?;
    let mut calls = Vec::new();
    let mut seen = Vec::new();
    for pair in pairs {
        let Some(name) = pair.path.get_ident().map(ToString::to_string) else {
            return Err(syn::Error::new(pair.path.span(), "expected an option name"));
        };
        if seen.contains(&name) {
            return Err(syn::Error::new(
                pair.path.span(),
                format!("`{name}` given twice"),
            ));
        }
        let value = &pair.value;
        let call = match name.as_str() {
            "entries" => {
                let n = int::<u32>(value)?;
                quote!(builder.entries(#n);)
            }
            "pool_threads" => {
                let n = int::<usize>(value)?;
                quote!(builder.pool_threads(#n);)
            }
            "fixed_files" => {
                let n = int::<u32>(value)?;
                quote!(builder.fixed_files(#n);)
            }
            "fixed_buffers" => {
                let n = int::<u16>(value)?;
                quote!(builder.fixed_buffers(#n);)
            }
            "backend" => {
                let variant = match string(value)?.as_str() {
                    "uring" => quote!(Uring),
                    "fallback" => quote!(Fallback),
                    other => {
                        return Err(syn::Error::new(
                            value.span(),
                            format!("unknown backend {other:?}: \"uring\" or \"fallback\""),
                        ))
                    }
                };
                quote!(builder.backend(::ringaio::Backend::#variant);)
            }
            _ => {
                return Err(syn::Error::new(
                    pair.path.span(),
                    format!(
                        "unknown option `{name}`: entries, backend, pool_threads, \
                         fixed_files, fixed_buffers"
                    ),
                ))
            }
        };
        seen.push(name);
        calls.push(call);
    }
    Ok(calls)
}

fn lit(value: &Expr) -> Option<&Lit> {
    match value {
        Expr::Lit(ExprLit { lit, .. }) => Some(lit),
        _ => None,
    }
}

fn int<N>(value: &Expr) -> syn::Result<N>
where
    N: std::str::FromStr,
    N::Err: std::fmt::Display,
{
    match lit(value) {
        Some(Lit::Int(n)) => n.base10_parse(),
        _ => Err(syn::Error::new(value.span(), "expected an integer")),
    }
}

fn string(value: &Expr) -> syn::Result<String> {
    match lit(value) {
        Some(Lit::Str(s)) => Ok(s.value()),
        _ => Err(syn::Error::new(value.span(), "expected a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::{expand, TokenStream2};

    fn expanded(args: &str, item: &str, test: bool) -> String {
        let args: TokenStream2 = args.parse().expect("args");
        let item: TokenStream2 = item.parse().expect("item");
        expand(args, item, test).to_string().replace(' ', "")
    }

    #[::core::prelude::v1::test]
    fn options_become_builder_calls() {
        let out = expanded(
            r#"entries = 64, backend = "fallback", pool_threads = 2, fixed_files = 0, fixed_buffers = 8"#,
            "async fn main() {}",
            false,
        );
        for call in [
            "builder.entries(64u32);",
            "builder.backend(::ringaio::Backend::Fallback);",
            "builder.pool_threads(2usize);",
            "builder.fixed_files(0u32);",
            "builder.fixed_buffers(8u16);",
        ] {
            assert!(out.contains(call), "{call} missing from {out}");
        }
        assert!(!out.contains("compile_error"), "{out}");
        assert!(
            !out.contains("#[::core::prelude::v1::test]"),
            "main is no test: {out}"
        );
    }

    #[::core::prelude::v1::test]
    fn test_adds_the_test_attribute_and_keeps_the_name() {
        let out = expanded("", "async fn checks() {}", true);
        assert!(
            out.starts_with("#[::core::prelude::v1::test]fnchecks()"),
            "{out}"
        );
        assert!(
            !out.contains("builder.backend"),
            "no backend: the env decides: {out}"
        );
    }

    #[::core::prelude::v1::test]
    fn mistakes_are_compile_errors() {
        for (args, item, test, says) in [
            ("threads = 4", "async fn main() {}", false, "unknown option"),
            (
                r#"backend = "epoll""#,
                "async fn main() {}",
                false,
                "unknown backend",
            ),
            (
                "entries = \"64\"",
                "async fn main() {}",
                false,
                "expected an integer",
            ),
            (
                "entries = 99999999999",
                "async fn main() {}",
                false,
                "number too large",
            ),
            (
                "entries = 1, entries = 2",
                "async fn main() {}",
                false,
                "given twice",
            ),
            ("", "fn main() {}", false, "needs an `async fn`"),
            ("", "async fn run() {}", false, "goes on `async fn main`"),
            ("", "async fn t(x: u8) {}", true, "take no arguments"),
        ] {
            let out = expanded(args, item, test);
            assert!(out.contains("compile_error"), "{args} / {item}: {out}");
            assert!(
                out.contains(&says.replace(' ', "")),
                "{args} / {item}: {out}"
            );
        }
    }
}
