// Tests of Search.
