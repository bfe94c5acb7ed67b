// Tests of Export.
