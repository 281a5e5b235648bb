"""The embedded development identity provider (``LMS_DEV_IDP=1``): a real OIDC provider for demo accounts.

It is built from Authlib's server components (authorization code grant, PKCE, OpenID Connect ID tokens
signed RS256) so that the app logs in through it exactly as it does through belajar.id.
"""
