/**
 * The functions the production console lets a statement call, by name (resolved in pg_catalog).
 *
 * Built from PostgreSQL's documentation (chapter 9, "Functions and Operators") by keeping only functions
 * that compute a value from their arguments or read the catalog, and leaving out everything that acts
 * outside the statement: large objects, signals to other backends, NOTIFY, settings, advisory locks,
 * sequences, file and program access, WAL/backup/replication control, and any function that runs a SQL
 * string it is given (query_to_xml and friends). Volatility markings are not trusted: `lo_create` and
 * `pg_terminate_backend` are volatile like `random()`, and a function's marking can be wrong.
 *
 * The list is names, not signatures: the console's session checks that pg_catalog is searched first, so an
 * unqualified name here resolves to the built-in.
 */
const ALLOWED = [
  // Math (§9.3)
  'abs cbrt ceil ceiling degrees div erf erfc exp factorial floor gcd lcm ln log log10 min_scale mod pi',
  'power pow radians round scale sign sqrt trim_scale trunc width_bucket random random_normal',
  'acos acosd asin asind atan atand atan2 atan2d cos cosd cot cotd sin sind tan tand',
  'sinh cosh tanh asinh acosh atanh',
  // Strings and binary strings (§9.4, §9.5)
  'ascii bit_length btrim char_length character_length chr concat concat_ws format initcap left length',
  'lower lpad ltrim md5 normalize octet_length overlay position quote_ident quote_literal quote_nullable',
  'regexp_count regexp_instr regexp_like regexp_match regexp_matches regexp_replace',
  'regexp_split_to_array regexp_split_to_table regexp_substr repeat replace reverse right rpad rtrim',
  'split_part starts_with string_to_array string_to_table strpos substr substring to_ascii to_hex',
  'translate unistr upper encode decode convert_from get_bit get_byte bit_count',
  'sha224 sha256 sha384 sha512 similar_to_escape like_escape is_normalized collation_for',
  // Formatting (§9.8)
  'to_char to_date to_number to_timestamp',
  // Date and time (§9.9)
  'age clock_timestamp date_add date_bin date_part date_subtract date_trunc extract isfinite',
  'justify_days justify_hours justify_interval make_date make_interval make_time make_timestamp',
  'make_timestamptz now statement_timestamp timeofday transaction_timestamp timezone overlaps',
  // Enum, geometry-free network and range helpers (§9.10, §9.12, §9.20)
  'enum_first enum_last enum_range abbrev broadcast family host hostmask masklen netmask network',
  'isempty lower_inc upper_inc lower_inf upper_inf range_merge multirange',
  // Text search (§9.13)
  'to_tsvector to_tsquery plainto_tsquery phraseto_tsquery websearch_to_tsquery ts_rank ts_rank_cd',
  'ts_headline setweight numnode querytree strip tsvector_to_array array_to_tsvector',
  // UUID (§9.14)
  'gen_random_uuid uuid_extract_timestamp uuid_extract_version',
  // JSON (§9.16)
  'to_json to_jsonb array_to_json row_to_json json_build_array jsonb_build_array json_build_object',
  'jsonb_build_object json_object jsonb_object json_array_elements jsonb_array_elements',
  'json_array_elements_text jsonb_array_elements_text json_array_length jsonb_array_length json_each',
  'jsonb_each json_each_text jsonb_each_text json_extract_path jsonb_extract_path json_extract_path_text',
  'jsonb_extract_path_text json_object_keys jsonb_object_keys json_populate_record jsonb_populate_record',
  'json_populate_recordset jsonb_populate_recordset json_to_record jsonb_to_record json_to_recordset',
  'jsonb_to_recordset json_strip_nulls jsonb_strip_nulls jsonb_set jsonb_set_lax jsonb_insert',
  'jsonb_pretty json_typeof jsonb_typeof jsonb_path_exists jsonb_path_match jsonb_path_query',
  'jsonb_path_query_array jsonb_path_query_first jsonb_path_exists_tz jsonb_path_query_tz',
  // Arrays and set-returning helpers (§9.19, §9.25)
  'array_append array_cat array_dims array_fill array_length array_lower array_ndims array_position',
  'array_positions array_prepend array_remove array_replace array_to_string array_upper cardinality',
  'trim_array unnest generate_series generate_subscripts array_sample array_shuffle',
  // Conditionals that are functions (§9.18; COALESCE, NULLIF, GREATEST, LEAST are expressions)
  'num_nonnulls num_nulls',
  // Aggregates (§9.21)
  'any_value array_agg avg bit_and bit_or bit_xor bool_and bool_or count every json_agg jsonb_agg',
  'json_object_agg jsonb_object_agg max min range_agg range_intersect_agg string_agg sum',
  'corr covar_pop covar_samp regr_avgx regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx',
  'regr_sxy regr_syy stddev stddev_pop stddev_samp variance var_pop var_samp mode percentile_cont',
  'percentile_disc',
  // Window functions (§9.22)
  'row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value',
  // Session and catalog information that only reads (§9.26)
  'current_database current_schema current_schemas current_query pg_backend_pid inet_client_addr',
  'inet_client_port inet_server_addr inet_server_port pg_postmaster_start_time pg_conf_load_time',
  'pg_is_in_recovery pg_last_xact_replay_timestamp version pg_typeof format_type col_description',
  'obj_description shobj_description pg_get_viewdef pg_get_indexdef pg_get_constraintdef',
  'pg_get_functiondef pg_get_function_arguments pg_get_function_result pg_get_triggerdef',
  'pg_get_expr pg_get_keywords pg_get_serial_sequence pg_table_is_visible to_regclass to_regtype',
  'to_regproc to_regnamespace to_regrole has_table_privilege has_column_privilege',
  'has_schema_privilege has_database_privilege has_sequence_privilege has_function_privilege',
  'pg_has_role row_security_active current_setting pg_get_userbyid pg_encoding_to_char',
  // Object sizes (§9.28)
  'pg_column_size pg_database_size pg_indexes_size pg_relation_size pg_size_bytes pg_size_pretty',
  'pg_table_size pg_total_relation_size',
  // Function-style casts to built-in types
  'bool int2 int4 int8 float4 float8 numeric text varchar bpchar date time timestamp timestamptz',
  'interval uuid json jsonb bytea inet cidr',
];

/** Functions named here are refused with their own reason (the rest of the world is refused generically). */
const REFUSED_WITH_REASON: Readonly<Record<string, string>> = {
  lo: 'works on large objects (stored outside the tables, and persistent)',
  pg_terminate_backend: 'terminates another session',
  pg_cancel_backend: 'cancels another session’s query',
  pg_notify: 'sends a NOTIFY to other sessions',
  set_config: 'changes a setting (it can lift the read-only guard)',
  setseed: 'changes the session’s random seed',
  advisory: 'takes an advisory lock that outlives the statement',
  nextval: 'advances a sequence (not undone by ROLLBACK)',
  setval: 'sets a sequence (not undone by ROLLBACK)',
  currval: 'reads session state',
  lastval: 'reads session state',
  dblink: 'opens a connection to another server and runs SQL there',
  file: 'reads files or directories on the database host',
  xml_query: 'runs the SQL text it is given',
  pg_sleep: 'holds a connection and a snapshot open without reading anything',
  server: 'controls the server (configuration, logs, WAL, backups, replication, promotion)',
  xid: 'assigns a transaction id (consumes xid space even in a read-only session)',
  stats: 'resets or changes statistics',
};

function reasonKey(name: string): string | undefined {
  if (name.startsWith('lo_') || name === 'loread' || name === 'lowrite') return 'lo';
  if (name.includes('advisory')) return 'advisory';
  if (name.startsWith('dblink')) return 'dblink';
  if (/^pg_(read_file|read_binary_file|ls_|stat_file|file_)/.test(name)) return 'file';
  if (
    /^(query_to_xml|query_to_xmlschema|query_to_xml_and_xmlschema|cursor_to_xml|cursor_to_xmlschema)$/.test(
      name,
    )
  )
    return 'xml_query';
  if (/^(table|schema|database)_to_xml/.test(name)) return 'xml_query';
  if (name.startsWith('pg_sleep')) return 'pg_sleep';
  if (
    /^pg_(reload_conf|rotate_logfile|switch_wal|create_restore_point|start_backup|stop_backup|backup_start|backup_stop|promote|wal_replay_|log_backend_memory_contexts|create_.*replication_slot|drop_replication_slot|replication_|copy_.*replication_slot|logical_|import_system_collations|drop_|truncate_visibility_map|log_standby_snapshot|sync_replication_slots)/.test(
      name,
    )
  )
    return 'server';
  if (/^(txid_current|pg_current_xact_id)$/.test(name)) return 'xid';
  if (/^pg_stat_(reset|clear)/.test(name)) return 'stats';
  if (name in REFUSED_WITH_REASON) return name;
  return undefined;
}

const ALLOWED_SET: ReadonlySet<string> = new Set(ALLOWED.flatMap((line) => line.split(/\s+/)));

/**
 * `pg_catalog.lower` → `lower`; other schemas keep their qualifier. The parser has already folded unquoted
 * names to lower case; a quoted `"LO_CREATE"` is another function, so case is kept (and it is not on the list).
 */
export function normalizeFunctionName(parts: readonly string[]): string {
  if (parts.length === 2 && parts[0] === 'pg_catalog') return parts[1]!;
  return parts.join('.');
}

export interface FunctionVerdict {
  allowed: boolean;
  /** Why it is refused, when it is. */
  reason?: string;
}

/**
 * Whether the console may call a function.
 *
 * @example
 * judgeFunction('lower', []) // { allowed: true }
 * judgeFunction('lo_create', []) // { allowed: false, reason: 'works on large objects …' }
 * judgeFunction('app.slugify', ['app.slugify']) // { allowed: true } (listed in database.consoleFunctions)
 */
export function judgeFunction(name: string, extra: readonly string[]): FunctionVerdict {
  const key = reasonKey(name);
  if (key) return { allowed: false, reason: REFUSED_WITH_REASON[key]! };
  if (!name.includes('.') && ALLOWED_SET.has(name)) return { allowed: true };
  if (name.includes('.') && extra.includes(name)) return { allowed: true };
  return {
    allowed: false,
    reason: name.includes('.')
      ? 'is outside pg_catalog and not listed in database.consoleFunctions'
      : 'is not on the console’s list of functions without side effects',
  };
}

/**
 * Operator symbols the console accepts (built-in comparison, arithmetic, string, JSON, array, range and
 * text-search operators). An operator is a function call in disguise: an unknown symbol, or one qualified
 * with a schema other than pg_catalog, could run anything.
 */
export const ALLOWED_OPERATORS: ReadonlySet<string> = new Set(
  (
    '+ - * / % ^ |/ ||/ @ & | # ~ << >> = <> != < > <= >= || ~~ ~~* !~~ !~~* ~ ~* !~ !~* ' +
    '@> <@ && -> ->> #> #>> ? ?| ?& @? @@ @@@ #- <-> &< &> -|- <<| |>> &<| |&> <^ >^ ?# ?- ?|| ## ~='
  ).split(' '),
);
