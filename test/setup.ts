import '#local/polyfills.ts';

// Unit tests build SDK clients from the environment, as Lambda does; no request leaves the machine.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
// The stack gives every function its credential readers (lib/provisioner-function.ts).
process.env.PROVISIONER_CREDENTIAL_READERS ??= 'arn:aws:iam::123456789012:role/credential-provisioner/*';
