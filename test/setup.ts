import '#local/polyfills.ts';
