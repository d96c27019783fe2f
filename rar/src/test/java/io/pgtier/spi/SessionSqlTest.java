package io.pgtier.spi;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the SQL scan makes of statements: pure logic, no server. */
class SessionSqlTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            SELECT 1                                                         | 0
            INSERT INTO t VALUES (1)                                         | 0
            UPDATE t SET x = 1                                               | 0
            SELECT attempts, template, contempt FROM t                       | 0
            SELECT 'SET x; COMMIT; LISTEN y'                                 | 0
            SELECT "begin" FROM t                                            | 0
            CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END $$ LANGUAGE plpgsql | 0
            CREATE FUNCTION g() RETURNS int AS $fn$ BEGIN COMMIT; END $fn$ LANGUAGE plpgsql | 0
            SELECT $1::int                                                   | 0
            SET LOCAL work_mem = '8MB'                                       | 0
            SET TRANSACTION ISOLATION LEVEL SERIALIZABLE                     | 0
            ROLLBACK TO SAVEPOINT s1                                         | 0
            SELECT pg_advisory_xact_lock(1)                                  | 0
            SET work_mem = '8MB'                                             | 1
            set search_path to app                                           | 1
            RESET ALL                                                        | 1
            SELECT set_config('work_mem', '8MB', false)                      | 2
            SELECT set_config('role', 'admin', false)                        | 2
            /* tuned */ SET statement_timeout = 0                            | 1
            SELECT 1; SET work_mem = '1MB'                                   | 1
            SET ROLE reporting                                               | 2
            SET SESSION AUTHORIZATION reporting                              | 2
            LISTEN changes                                                   | 2
            DECLARE c CURSOR WITH HOLD FOR SELECT 1                          | 2
            PREPARE p AS SELECT 1                                            | 2
            CREATE TEMP TABLE t(x int)                                       | 2
            CREATE LOCAL TEMPORARY TABLE t(x int)                            | 2
            SELECT * INTO TEMP t FROM s                                      | 2
            SELECT pg_advisory_lock(42)                                      | 2
            SELECT pg_try_advisory_lock_shared(42)                           | 2
            DO $$ BEGIN PERFORM 1; END $$                                    | 2
            COMMIT                                                           | 4
            commit and chain                                                 | 4
            END                                                              | 4
            ROLLBACK                                                         | 4
            ABORT                                                            | 4
            PREPARE TRANSACTION 'x'                                          | 4
            INSERT INTO t VALUES (1); COMMIT                                 | 4
            BEGIN                                                            | 0
            START TRANSACTION READ ONLY                                      | 0
            SET SESSION ROLE reporting                                       | 2
            SET /* who */ ROLE reporting                                     | 2
            SET SESSION SESSION AUTHORIZATION reporting                      | 2
            SET SESSION work_mem = '1MB'                                     | 1
            SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE | 1
            SELECT 1 /* don't */ FROM t WHERE n = 'a;commit'                 | 0
            /* a /* nested */ still a comment */ SET ROLE x                  | 2
            SELECT E'it\\'s; COMMIT'                                        | 0
            SELECT E'a\\\\'; COMMIT                                         | 4
            CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END | 0
            CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END; COMMIT | 4
            ROLLBACK WORK TO s1                                              | 0
            ROLLBACK TRANSACTION TO SAVEPOINT s1                             | 0
            ROLLBACK WORK                                                    | 4
            CREATE TABLE pg_temp.scratch(i int)                              | 2
            SELECT a$b FROM t                                                | 0
            """)
    @org.junit.jupiter.api.DisplayName("1 settings (RESET ALL), 2 DISCARD ALL, 4 ends a transaction")
    void effects(String sql, int expected) {
        assertThat(SessionSql.effects(sql)).isEqualTo(expected);
    }
}
