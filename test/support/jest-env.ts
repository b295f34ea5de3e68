// The Lambdas run Node 22; the SDK's notice about Node 20 would only bury the test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
