//! The sample deliveries, embedded: `samples/<preset>/<event>.json`, one line each (a test keeps
//! this list equal to the directory).

/// `(preset, sample file text)`, by preset then file name.
pub const SAMPLES: &[(&str, &str)] = &[
    ("airtable", include_str!("../../samples/airtable/ping.json")),
    ("asana", include_str!("../../samples/asana/changed.json")),
    ("basic", include_str!("../../samples/basic/test.event.json")),
    (
        "beehiiv",
        include_str!("../../samples/beehiiv/post.sent.json"),
    ),
    (
        "bitbucket",
        include_str!("../../samples/bitbucket/repo-push.json"),
    ),
    ("box", include_str!("../../samples/box/FILE.UPLOADED.json")),
    (
        "brex",
        include_str!("../../samples/brex/EXPENSE_PAYMENT_UPDATED.json"),
    ),
    (
        "calendly",
        include_str!("../../samples/calendly/invitee.created.json"),
    ),
    (
        "clerk",
        include_str!("../../samples/clerk/user.created.json"),
    ),
    (
        "coinbase",
        include_str!("../../samples/coinbase/charge-confirmed.json"),
    ),
    (
        "contentful",
        include_str!("../../samples/contentful/ContentManagement.Entry.publish.json"),
    ),
    (
        "docusign",
        include_str!("../../samples/docusign/envelope-completed.json"),
    ),
    (
        "dropbox",
        include_str!("../../samples/dropbox/notification.json"),
    ),
    ("forgejo", include_str!("../../samples/forgejo/push.json")),
    ("gitea", include_str!("../../samples/gitea/push.json")),
    ("github", include_str!("../../samples/github/ping.json")),
    (
        "github",
        include_str!("../../samples/github/pull_request.json"),
    ),
    ("github", include_str!("../../samples/github/push.json")),
    (
        "gitlab",
        include_str!("../../samples/gitlab/Push Hook.json"),
    ),
    ("gogs", include_str!("../../samples/gogs/push.json")),
    (
        "gusto",
        include_str!("../../samples/gusto/employee.created.json"),
    ),
    ("hmac", include_str!("../../samples/hmac/test.event.json")),
    (
        "hubspot",
        include_str!("../../samples/hubspot/contact.creation.json"),
    ),
    (
        "hubspot-v1",
        include_str!("../../samples/hubspot-v1/contact.creation.json"),
    ),
    (
        "hubspot-v2",
        include_str!("../../samples/hubspot-v2/contact.creation.json"),
    ),
    (
        "instagram",
        include_str!("../../samples/instagram/instagram.json"),
    ),
    (
        "intercom",
        include_str!("../../samples/intercom/conversation.user.created.json"),
    ),
    (
        "jira",
        include_str!("../../samples/jira/jira-issue_created.json"),
    ),
    (
        "lemonsqueezy",
        include_str!("../../samples/lemonsqueezy/order_created.json"),
    ),
    ("linear", include_str!("../../samples/linear/Issue.json")),
    (
        "liveblocks",
        include_str!("../../samples/liveblocks/storageUpdated.json"),
    ),
    ("mandrill", include_str!("../../samples/mandrill/send.json")),
    ("meta", include_str!("../../samples/meta/page.json")),
    (
        "mux",
        include_str!("../../samples/mux/video.asset.ready.json"),
    ),
    (
        "netlify",
        include_str!("../../samples/netlify/deploy_created.json"),
    ),
    (
        "notion",
        include_str!("../../samples/notion/page.created.json"),
    ),
    (
        "okta",
        include_str!("../../samples/okta/user.session.start.json"),
    ),
    (
        "openai",
        include_str!("../../samples/openai/response.completed.json"),
    ),
    (
        "paddle",
        include_str!("../../samples/paddle/transaction.completed.json"),
    ),
    (
        "pagerduty",
        include_str!("../../samples/pagerduty/incident.triggered.json"),
    ),
    (
        "paystack",
        include_str!("../../samples/paystack/charge.success.json"),
    ),
    (
        "persona",
        include_str!("../../samples/persona/inquiry.completed.json"),
    ),
    (
        "polar",
        include_str!("../../samples/polar/order.created.json"),
    ),
    (
        "postmark",
        include_str!("../../samples/postmark/Delivery.json"),
    ),
    (
        "razorpay",
        include_str!("../../samples/razorpay/payment.captured.json"),
    ),
    (
        "replicate",
        include_str!("../../samples/replicate/completed.json"),
    ),
    (
        "resend",
        include_str!("../../samples/resend/email.delivered.json"),
    ),
    ("segment", include_str!("../../samples/segment/track.json")),
    ("sentry", include_str!("../../samples/sentry/issue.json")),
    (
        "shopify",
        include_str!("../../samples/shopify/app-uninstalled.json"),
    ),
    (
        "shopify",
        include_str!("../../samples/shopify/orders-create.json"),
    ),
    (
        "shopify",
        include_str!("../../samples/shopify/products-update.json"),
    ),
    (
        "slack",
        include_str!("../../samples/slack/event_callback.json"),
    ),
    ("slack", include_str!("../../samples/slack/message.json")),
    (
        "square",
        include_str!("../../samples/square/payment.updated.json"),
    ),
    (
        "standard-webhooks",
        include_str!("../../samples/standard-webhooks/invoice.paid.json"),
    ),
    (
        "stripe",
        include_str!("../../samples/stripe/checkout.session.completed.json"),
    ),
    (
        "stripe",
        include_str!("../../samples/stripe/customer.subscription.deleted.json"),
    ),
    (
        "stripe",
        include_str!("../../samples/stripe/invoice.paid.json"),
    ),
    (
        "stripe",
        include_str!("../../samples/stripe/payment_intent.succeeded.json"),
    ),
    ("svix", include_str!("../../samples/svix/invoice.paid.json")),
    ("teams", include_str!("../../samples/teams/message.json")),
    ("token", include_str!("../../samples/token/test.event.json")),
    (
        "twilio",
        include_str!("../../samples/twilio/incoming-message.json"),
    ),
    (
        "twilio",
        include_str!("../../samples/twilio/message-status.json"),
    ),
    (
        "twitch",
        include_str!("../../samples/twitch/channel.follow.json"),
    ),
    (
        "twitter",
        include_str!("../../samples/twitter/favorite_events.json"),
    ),
    (
        "typeform",
        include_str!("../../samples/typeform/form_response.json"),
    ),
    (
        "vercel",
        include_str!("../../samples/vercel/deployment.succeeded.json"),
    ),
    (
        "vonage",
        include_str!("../../samples/vonage/message-status.json"),
    ),
    (
        "whatsapp",
        include_str!("../../samples/whatsapp/whatsapp_business_account.json"),
    ),
    (
        "woocommerce",
        include_str!("../../samples/woocommerce/order.created.json"),
    ),
    (
        "worldline",
        include_str!("../../samples/worldline/payment.captured.json"),
    ),
    (
        "xero",
        include_str!("../../samples/xero/INVOICE.UPDATE.json"),
    ),
    (
        "zendesk",
        include_str!("../../samples/zendesk/zen-event-type-ticket.created.json"),
    ),
    (
        "zoom",
        include_str!("../../samples/zoom/meeting.started.json"),
    ),
];
