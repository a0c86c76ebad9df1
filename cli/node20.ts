/**
 * The AWS SDK warns on every process that its Node 20 support ends in 2027; the toolchain supports
 * Node 20 on purpose. Import this first on every entry point that builds SDK clients.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
