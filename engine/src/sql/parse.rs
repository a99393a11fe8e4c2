//! sqlparser AST -> [`Plan`]. Anything outside the supported subset is a
//! [`SqlError`] naming the construct and its position, never a guess.

use sqlparser::ast::{
    self as ast, BinaryOperator, DateTimeField, FunctionArg, FunctionArgExpr, FunctionArguments,
    GroupByExpr, ObjectNamePart, SelectItem, SetExpr, Spanned, Statement, TableFactor,
    UnaryOperator,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use super::error::{Location, SqlError};
use super::plan::{AggFunc, Aggregate, AggregatePlan, BinOp, Expr, Plan, PlanKind, WindowSpec};
use crate::record::{DataType, Schema, Value};

/// Column names every windowed output row carries.
pub const WINDOW_START: &str = "window_start";
pub const WINDOW_END: &str = "window_end";

/// Parses one `SELECT` over `input_schema` into a plan.
pub fn parse_query(sql: &str, input_schema: &Schema) -> Result<Plan, SqlError> {
    let statements =
        Parser::parse_sql(&GenericDialect {}, sql).map_err(|e| SqlError::Syntax(e.to_string()))?;
    let statement = match statements.as_slice() {
        [one] => one,
        [] => return Err(SqlError::invalid("no statement", Location::default())),
        [_, second, ..] => {
            return Err(SqlError::unsupported(
                "more than one statement",
                pos(second),
            ))
        }
    };
    let Statement::Query(query) = statement else {
        return Err(SqlError::unsupported(
            "statements other than SELECT",
            pos(statement),
        ));
    };
    reject_query_clauses(query)?;
    let SetExpr::Select(select) = query.body.as_ref() else {
        return Err(SqlError::unsupported(
            "set operations and subqueries (only a single SELECT is supported)",
            pos(query.body.as_ref()),
        ));
    };
    plan_select(select, input_schema)
}

/// Where a node starts in the query text.
fn pos<T: Spanned + ?Sized>(node: &T) -> Location {
    node.span().start.into()
}

fn reject_query_clauses(query: &ast::Query) -> Result<(), SqlError> {
    let at = pos(query);
    if query.with.is_some() {
        return Err(SqlError::unsupported("WITH", at));
    }
    if query.order_by.is_some() {
        return Err(SqlError::unsupported("ORDER BY on a stream", at));
    }
    if query.limit_clause.is_some() || query.fetch.is_some() {
        return Err(SqlError::unsupported("LIMIT/FETCH on a stream", at));
    }
    Ok(())
}

fn plan_select(select: &ast::Select, input_schema: &Schema) -> Result<Plan, SqlError> {
    let at = pos(select);
    if select.distinct.is_some() {
        return Err(SqlError::unsupported("DISTINCT", at));
    }
    if select.having.is_some() {
        return Err(SqlError::unsupported(
            "HAVING",
            select.having.as_ref().map_or(at, pos),
        ));
    }
    if select.top.is_some()
        || select.into.is_some()
        || !select.lateral_views.is_empty()
        || select.prewhere.is_some()
        || !select.named_window.is_empty()
        || select.qualify.is_some()
        || !select.cluster_by.is_empty()
        || !select.distribute_by.is_empty()
        || !select.sort_by.is_empty()
        || select.connect_by.is_some()
    {
        return Err(SqlError::unsupported(
            "dialect-specific SELECT clauses (TOP, INTO, LATERAL VIEW, QUALIFY, WINDOW, ...)",
            at,
        ));
    }
    let source = source_name(select)?;
    let filter = select
        .selection
        .as_ref()
        .map(|w| {
            let mut scope = InputScope(input_schema);
            let (expr, ty) = compile(w, &mut scope)?;
            if ty != DataType::Bool {
                return Err(SqlError::invalid(
                    format!("WHERE must be a boolean condition, found {ty}"),
                    pos(w),
                ));
            }
            Ok(expr)
        })
        .transpose()?;

    let group_by = match &select.group_by {
        GroupByExpr::Expressions(exprs, modifiers) if modifiers.is_empty() => exprs.as_slice(),
        GroupByExpr::Expressions(_, _) => {
            return Err(SqlError::unsupported(
                "GROUP BY modifiers (ROLLUP, CUBE, ...)",
                at,
            ))
        }
        GroupByExpr::All(_) => return Err(SqlError::unsupported("GROUP BY ALL", at)),
    };

    if group_by.is_empty() {
        plan_projection(select, input_schema, source, filter)
    } else {
        plan_aggregate(select, group_by, input_schema, source, filter)
    }
}

fn source_name(select: &ast::Select) -> Result<String, SqlError> {
    let at = pos(select);
    let [table] = select.from.as_slice() else {
        return Err(if select.from.is_empty() {
            SqlError::invalid("a FROM <stream> clause is required", at)
        } else {
            SqlError::unsupported("more than one source in FROM", pos(&select.from[1]))
        });
    };
    if let Some(join) = table.joins.first() {
        return Err(SqlError::unsupported("JOIN", pos(join)));
    }
    match &table.relation {
        TableFactor::Table {
            name, args: None, ..
        } => Ok(name.to_string()),
        other => Err(SqlError::unsupported(
            "FROM sources other than a named stream",
            pos(other),
        )),
    }
}

fn plan_projection(
    select: &ast::Select,
    input_schema: &Schema,
    source: String,
    filter: Option<Expr>,
) -> Result<Plan, SqlError> {
    let mut scope = InputScope(input_schema);
    let mut exprs = Vec::new();
    let mut columns = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::Wildcard(_) => {
                for (i, c) in input_schema.columns.iter().enumerate() {
                    exprs.push(Expr::Column(i));
                    columns.push((c.name.clone(), c.data_type));
                }
            }
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                if let Some(f) = find_aggregate_call(e) {
                    return Err(SqlError::invalid(
                        "aggregates need GROUP BY with a window (TUMBLE, HOP or SESSION)",
                        pos(f),
                    ));
                }
                let (expr, ty) = compile(e, &mut scope)?;
                exprs.push(expr);
                columns.push((output_name(item, input_schema), ty));
            }
            SelectItem::QualifiedWildcard(..) => {
                return Err(SqlError::unsupported("qualified wildcard", pos(item)))
            }
        }
    }
    let output_schema = unique_schema(columns, pos(select))?;
    Ok(Plan {
        source,
        input_schema: input_schema.clone(),
        filter,
        kind: PlanKind::Project { exprs },
        output_schema,
    })
}

fn plan_aggregate(
    select: &ast::Select,
    group_by: &[ast::Expr],
    input_schema: &Schema,
    source: String,
    filter: Option<Expr>,
) -> Result<Plan, SqlError> {
    let mut input_scope = InputScope(input_schema);
    let mut window = None;
    let mut key_asts = Vec::new();
    let mut keys = Vec::new();
    let mut key_types = Vec::new();
    for g in group_by {
        if let Some(w) = parse_window_call(g, input_schema)? {
            if window.is_some() {
                return Err(SqlError::unsupported(
                    "more than one window in GROUP BY",
                    pos(g),
                ));
            }
            window = Some((w, g));
        } else {
            let (expr, ty) = compile(g, &mut input_scope)?;
            key_asts.push(g);
            keys.push(expr);
            key_types.push(ty);
        }
    }
    let Some(((window, time_column), window_ast)) = window else {
        return Err(SqlError::unsupported(
            "GROUP BY without a window: a streaming aggregate needs TUMBLE, HOP or SESSION to know when a group is complete",
            pos(&select.group_by),
        ));
    };

    let mut scope = AggregateScope {
        input: input_schema,
        key_asts: &key_asts,
        key_types: &key_types,
        window,
        window_ast,
        aggregates: Vec::new(),
        aggregate_types: Vec::new(),
    };
    let mut output = Vec::new();
    let mut columns = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                let (expr, ty) = compile(e, &mut scope)?;
                output.push(expr);
                columns.push((output_name(item, input_schema), ty));
            }
            _ => {
                return Err(SqlError::unsupported(
                    "wildcards in an aggregate query",
                    pos(item),
                ))
            }
        }
    }
    let at = pos(select);
    for reserved in [WINDOW_START, WINDOW_END] {
        if columns
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(reserved))
        {
            return Err(SqlError::invalid(
                format!("'{reserved}' is added to every windowed row; choose another alias"),
                at,
            ));
        }
    }
    columns.push((WINDOW_START.to_string(), DataType::Timestamp));
    columns.push((WINDOW_END.to_string(), DataType::Timestamp));
    let plan = AggregatePlan {
        keys,
        window,
        time_column,
        aggregates: scope.aggregates,
        output,
    };
    // window_start/window_end come from the aggregate row, like any output column.
    let mut plan = plan;
    plan.output.push(Expr::Column(plan.window_start_index()));
    plan.output.push(Expr::Column(plan.window_end_index()));
    Ok(Plan {
        source,
        input_schema: input_schema.clone(),
        filter,
        kind: PlanKind::Aggregate(plan),
        output_schema: unique_schema(columns, at)?,
    })
}

fn unique_schema(columns: Vec<(String, DataType)>, at: Location) -> Result<Schema, SqlError> {
    for (i, (name, _)) in columns.iter().enumerate() {
        if columns[..i]
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            return Err(SqlError::invalid(
                format!("output column '{name}' appears twice; give one an alias with AS"),
                at,
            ));
        }
    }
    Ok(Schema::new(columns))
}

fn output_name(item: &SelectItem, input_schema: &Schema) -> String {
    match item {
        SelectItem::ExprWithAlias { alias, .. } => alias.value.clone(),
        SelectItem::UnnamedExpr(ast::Expr::Identifier(id)) => {
            input_schema.index_of(&id.value).map_or_else(
                || id.value.clone(),
                |i| input_schema.columns[i].name.clone(),
            )
        }
        SelectItem::UnnamedExpr(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// How names and calls resolve while compiling an expression.
trait Scope {
    fn resolve(&mut self, e: &ast::Expr) -> Result<Option<(Expr, DataType)>, SqlError>;
}

/// Per-record scope: names are input columns, aggregates are not allowed.
struct InputScope<'a>(&'a Schema);

impl Scope for InputScope<'_> {
    fn resolve(&mut self, e: &ast::Expr) -> Result<Option<(Expr, DataType)>, SqlError> {
        match e {
            ast::Expr::Identifier(id) => column(self.0, &id.value, pos(e)).map(Some),
            ast::Expr::Function(f)
                if aggregate_func(f).is_some() || window_func_name(f).is_some() =>
            {
                Err(SqlError::invalid(
                    format!("{} is not allowed here", f.name),
                    pos(e),
                ))
            }
            _ => Ok(None),
        }
    }
}

/// Scope after grouping: group keys, window bounds and aggregates.
struct AggregateScope<'a> {
    input: &'a Schema,
    key_asts: &'a [&'a ast::Expr],
    key_types: &'a [DataType],
    window: WindowSpec,
    window_ast: &'a ast::Expr,
    aggregates: Vec<Aggregate>,
    aggregate_types: Vec<DataType>,
}

impl AggregateScope<'_> {
    fn window_bound(
        &self,
        f: &ast::Function,
        at: Location,
    ) -> Result<Option<(Expr, DataType)>, SqlError> {
        let Some((kind, is_start)) = window_func_name(f) else {
            return Ok(None);
        };
        let expected = match self.window {
            WindowSpec::Tumble { .. } => "TUMBLE",
            WindowSpec::Hop { .. } => "HOP",
            WindowSpec::Session { .. } => "SESSION",
        };
        if kind != expected {
            return Err(SqlError::invalid(
                format!("{} does not match the GROUP BY window {expected}", f.name),
                at,
            ));
        }
        let ast::Expr::Function(window_call) = self.window_ast else {
            return Ok(None);
        };
        if !same_sql(&f.args.to_string(), &window_call.args.to_string()) {
            return Err(SqlError::invalid(
                format!(
                    "{} arguments {} differ from the GROUP BY window's {}",
                    f.name, f.args, window_call.args
                ),
                at,
            ));
        }
        let index = self.key_asts.len() + usize::from(!is_start);
        Ok(Some((Expr::Column(index), DataType::Timestamp)))
    }

    fn aggregate(
        &mut self,
        f: &ast::Function,
        func: AggFunc,
        at: Location,
    ) -> Result<(Expr, DataType), SqlError> {
        let args = plain_args(f, at)?;
        let (arg, arg_type) = match (func, args.as_slice()) {
            (AggFunc::CountStar, [] | [FunctionArgExpr::Wildcard]) => (None, None),
            (_, [FunctionArgExpr::Expr(e)]) => {
                if let Some(inner) = find_aggregate_call(e) {
                    return Err(SqlError::invalid("nested aggregate", pos(inner)));
                }
                let (expr, ty) = compile(e, &mut InputScope(self.input))?;
                (Some(expr), Some(ty))
            }
            _ => {
                return Err(SqlError::invalid(
                    format!("{} takes exactly one argument", f.name),
                    at,
                ))
            }
        };
        let ty = match (func, arg_type) {
            (AggFunc::CountStar | AggFunc::Count, _) => DataType::Int,
            (AggFunc::Avg, Some(t)) if is_numeric(t) => DataType::Float,
            (AggFunc::Sum, Some(DataType::Float)) => DataType::Float,
            (AggFunc::Sum, Some(DataType::Int | DataType::Timestamp)) => DataType::Int,
            (AggFunc::Min | AggFunc::Max, Some(t)) => t,
            (_, t) => {
                return Err(SqlError::invalid(
                    format!(
                        "{} needs a numeric argument, found {}",
                        f.name,
                        t.map_or("nothing".to_string(), |t| t.to_string())
                    ),
                    at,
                ))
            }
        };
        let func = if func == AggFunc::Count && arg.is_none() {
            AggFunc::CountStar
        } else {
            func
        };
        let index = self.key_asts.len() + 2 + self.aggregates.len();
        self.aggregates.push(Aggregate {
            func,
            arg,
            arg_type,
        });
        self.aggregate_types.push(ty);
        Ok((Expr::Column(index), ty))
    }
}

impl Scope for AggregateScope<'_> {
    fn resolve(&mut self, e: &ast::Expr) -> Result<Option<(Expr, DataType)>, SqlError> {
        let at = pos(e);
        let text = e.to_string();
        if let Some(i) = self
            .key_asts
            .iter()
            .position(|k| same_sql(&k.to_string(), &text))
        {
            return Ok(Some((Expr::Column(i), self.key_types[i])));
        }
        match e {
            ast::Expr::Function(f) => {
                if let Some(func) = aggregate_func(f) {
                    return self.aggregate(f, func, at).map(Some);
                }
                self.window_bound(f, at)
            }
            ast::Expr::Identifier(id) => Err(SqlError::invalid(
                format!(
                    "column '{}' must appear in GROUP BY or inside an aggregate",
                    id.value
                ),
                at,
            )),
            _ => Ok(None),
        }
    }
}

fn same_sql(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn column(schema: &Schema, name: &str, at: Location) -> Result<(Expr, DataType), SqlError> {
    match schema.index_of(name) {
        Some(i) => Ok((Expr::Column(i), schema.columns[i].data_type)),
        None => Err(SqlError::UnknownColumn {
            name: name.to_string(),
            at,
            available: schema.names().collect::<Vec<_>>().join(", "),
        }),
    }
}

fn is_numeric(t: DataType) -> bool {
    matches!(t, DataType::Int | DataType::Float | DataType::Timestamp)
}

fn function_name(f: &ast::Function) -> String {
    match f.name.0.as_slice() {
        [ObjectNamePart::Identifier(id)] => id.value.to_ascii_uppercase(),
        _ => f.name.to_string().to_ascii_uppercase(),
    }
}

fn aggregate_func(f: &ast::Function) -> Option<AggFunc> {
    let star = matches!(&f.args, FunctionArguments::List(l)
        if matches!(l.args.as_slice(), [FunctionArg::Unnamed(FunctionArgExpr::Wildcard)]));
    match function_name(f).as_str() {
        "COUNT" if star => Some(AggFunc::CountStar),
        "COUNT" => Some(AggFunc::Count),
        "SUM" => Some(AggFunc::Sum),
        "AVG" => Some(AggFunc::Avg),
        "MIN" => Some(AggFunc::Min),
        "MAX" => Some(AggFunc::Max),
        _ => None,
    }
}

/// `TUMBLE_START` -> ("TUMBLE", true), `HOP_END` -> ("HOP", false).
fn window_func_name(f: &ast::Function) -> Option<(&'static str, bool)> {
    let name = function_name(f);
    let (kind, bound) = name.rsplit_once('_')?;
    let kind = ["TUMBLE", "HOP", "SESSION"]
        .into_iter()
        .find(|k| *k == kind)?;
    match bound {
        "START" => Some((kind, true)),
        "END" => Some((kind, false)),
        _ => None,
    }
}

fn find_aggregate_call(e: &ast::Expr) -> Option<&ast::Expr> {
    match e {
        ast::Expr::Function(f) if aggregate_func(f).is_some() => Some(e),
        ast::Expr::BinaryOp { left, right, .. } => {
            find_aggregate_call(left).or_else(|| find_aggregate_call(right))
        }
        ast::Expr::UnaryOp { expr, .. }
        | ast::Expr::Nested(expr)
        | ast::Expr::Cast { expr, .. }
        | ast::Expr::IsNull(expr)
        | ast::Expr::IsNotNull(expr) => find_aggregate_call(expr),
        _ => None,
    }
}

/// Unnamed, plain arguments; DISTINCT, FILTER, OVER and the like are refused.
fn plain_args(f: &ast::Function, at: Location) -> Result<Vec<&FunctionArgExpr>, SqlError> {
    if f.filter.is_some()
        || f.over.is_some()
        || !f.within_group.is_empty()
        || f.null_treatment.is_some()
    {
        return Err(SqlError::unsupported(
            format!("FILTER/OVER/WITHIN GROUP on {}", f.name),
            at,
        ));
    }
    match &f.args {
        FunctionArguments::None => Ok(Vec::new()),
        FunctionArguments::Subquery(_) => Err(SqlError::unsupported("subquery argument", at)),
        FunctionArguments::List(list) => {
            if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
                return Err(SqlError::unsupported(
                    format!("DISTINCT or clauses inside {}(...)", f.name),
                    at,
                ));
            }
            list.args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(arg) => Ok(arg),
                    _ => Err(SqlError::unsupported("named function arguments", at)),
                })
                .collect()
        }
    }
}

/// `TUMBLE(ts, INTERVAL ...)` and friends in GROUP BY; `None` for anything else.
fn parse_window_call(
    e: &ast::Expr,
    input_schema: &Schema,
) -> Result<Option<(WindowSpec, usize)>, SqlError> {
    let ast::Expr::Function(f) = e else {
        return Ok(None);
    };
    let name = function_name(f);
    let (kind, intervals) = match name.as_str() {
        "TUMBLE" => ("TUMBLE", 1),
        "HOP" => ("HOP", 2),
        "SESSION" => ("SESSION", 1),
        _ => return Ok(None),
    };
    let at = pos(e);
    let args = plain_args(f, at)?;
    if args.len() != 1 + intervals {
        let shape = match kind {
            "HOP" => "HOP(time_col, INTERVAL slide, INTERVAL size)",
            "TUMBLE" => "TUMBLE(time_col, INTERVAL size)",
            _ => "SESSION(time_col, INTERVAL gap)",
        };
        return Err(SqlError::invalid(format!("expected {shape}"), at));
    }
    let FunctionArgExpr::Expr(time_expr) = args[0] else {
        return Err(SqlError::invalid(
            format!("{kind} needs a time column first"),
            at,
        ));
    };
    let (Expr::Column(time_column), ty) = compile(time_expr, &mut InputScope(input_schema))? else {
        return Err(SqlError::unsupported(
            format!("{kind} over an expression; name an event-time column"),
            pos(time_expr),
        ));
    };
    if !matches!(ty, DataType::Timestamp | DataType::Int) {
        return Err(SqlError::invalid(
            format!("{kind} needs a TIMESTAMP (or BIGINT milliseconds) column, found {ty}"),
            pos(time_expr),
        ));
    }
    let mut millis = Vec::new();
    for arg in &args[1..] {
        let FunctionArgExpr::Expr(iv) = arg else {
            return Err(SqlError::invalid(
                format!("{kind} needs INTERVAL arguments"),
                at,
            ));
        };
        millis.push(interval_ms(iv)?);
    }
    let spec = match (kind, millis.as_slice()) {
        ("TUMBLE", [size_ms]) => WindowSpec::Tumble { size_ms: *size_ms },
        ("SESSION", [gap_ms]) => WindowSpec::Session { gap_ms: *gap_ms },
        ("HOP", [slide_ms, size_ms]) => {
            if slide_ms > size_ms {
                return Err(SqlError::invalid(
                    format!("HOP slide ({slide_ms} ms) is larger than its size ({size_ms} ms); the slide comes first"),
                    at,
                ));
            }
            WindowSpec::Hop {
                slide_ms: *slide_ms,
                size_ms: *size_ms,
            }
        }
        _ => unreachable!("argument count checked above"),
    };
    Ok(Some((spec, time_column)))
}

/// `INTERVAL '10' SECOND` or `INTERVAL '10 SECOND'` in milliseconds.
fn interval_ms(e: &ast::Expr) -> Result<i64, SqlError> {
    let at = pos(e);
    let ast::Expr::Interval(iv) = e else {
        return Err(SqlError::invalid(
            format!("expected an INTERVAL such as INTERVAL '10' SECOND, found {e}"),
            at,
        ));
    };
    if iv.last_field.is_some() {
        return Err(SqlError::unsupported("compound INTERVAL ... TO ...", at));
    }
    let text = match iv.value.as_ref() {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::Number(s, _) => s.clone(),
            other => return Err(SqlError::invalid(format!("bad INTERVAL value {other}"), at)),
        },
        other => return Err(SqlError::invalid(format!("bad INTERVAL value {other}"), at)),
    };
    let (amount, unit_in_text) = match text.trim().split_once(char::is_whitespace) {
        Some((n, unit)) => (n.to_string(), Some(unit.trim().to_ascii_uppercase())),
        None => (text.trim().to_string(), None),
    };
    let amount: i64 = amount.parse().map_err(|_| {
        SqlError::invalid(
            format!("INTERVAL amount '{amount}' is not a whole number"),
            at,
        )
    })?;
    let unit_ms = match (&iv.leading_field, unit_in_text.as_deref()) {
        (Some(field), None) => field_ms(field),
        (None, Some(unit)) => unit_name_ms(unit),
        (None, None) => None,
        (Some(_), Some(_)) => None,
    }
    .ok_or_else(|| {
        SqlError::unsupported(
            format!("INTERVAL unit in {e} (use MILLISECOND, SECOND, MINUTE, HOUR or DAY)"),
            at,
        )
    })?;
    if amount <= 0 {
        return Err(SqlError::invalid(
            format!("INTERVAL must be positive, found {e}"),
            at,
        ));
    }
    amount
        .checked_mul(unit_ms)
        .ok_or_else(|| SqlError::invalid(format!("INTERVAL {e} is too large"), at))
}

fn field_ms(field: &DateTimeField) -> Option<i64> {
    match field {
        DateTimeField::Millisecond | DateTimeField::Milliseconds => Some(1),
        DateTimeField::Second | DateTimeField::Seconds => Some(1_000),
        DateTimeField::Minute | DateTimeField::Minutes => Some(60_000),
        DateTimeField::Hour | DateTimeField::Hours => Some(3_600_000),
        DateTimeField::Day | DateTimeField::Days => Some(86_400_000),
        _ => None,
    }
}

fn unit_name_ms(unit: &str) -> Option<i64> {
    match unit.trim_end_matches('S') {
        "MILLISECOND" => Some(1),
        "SECOND" => Some(1_000),
        "MINUTE" => Some(60_000),
        "HOUR" => Some(3_600_000),
        "DAY" => Some(86_400_000),
        _ => None,
    }
}

/// Compiles an expression and infers its type; the scope resolves names and calls.
fn compile(e: &ast::Expr, scope: &mut dyn Scope) -> Result<(Expr, DataType), SqlError> {
    if let Some(resolved) = scope.resolve(e)? {
        return Ok(resolved);
    }
    let at = pos(e);
    match e {
        ast::Expr::Nested(inner) => compile(inner, scope),
        ast::Expr::Value(v) => literal(&v.value, at),
        ast::Expr::CompoundIdentifier(parts) => Err(SqlError::unsupported(
            format!(
                "qualified name {}; refer to columns by their plain name",
                parts.iter().map(|p| p.value.as_str()).collect::<Vec<_>>().join(".")
            ),
            at,
        )),
        ast::Expr::BinaryOp { left, op, right } => {
            let op = binary_op(op, at)?;
            let (l, lt) = compile(left, scope)?;
            let (r, rt) = compile(right, scope)?;
            let ty = binary_type(op, lt, rt).ok_or_else(|| {
                SqlError::invalid(format!("cannot apply {op:?} to {lt} and {rt} in {e}"), at)
            })?;
            Ok((Expr::Binary { op, left: Box::new(l), right: Box::new(r) }, ty))
        }
        ast::Expr::UnaryOp { op, expr } => {
            let (inner, ty) = compile(expr, scope)?;
            match op {
                UnaryOperator::Not if ty == DataType::Bool => Ok((Expr::Not(Box::new(inner)), ty)),
                UnaryOperator::Minus if is_numeric(ty) => Ok((Expr::Neg(Box::new(inner)), ty)),
                UnaryOperator::Plus if is_numeric(ty) => Ok((inner, ty)),
                _ => Err(SqlError::invalid(format!("cannot apply {op} to {ty}"), at)),
            }
        }
        ast::Expr::IsNull(inner) | ast::Expr::IsNotNull(inner) => {
            let (expr, _) = compile(inner, scope)?;
            let negated = matches!(e, ast::Expr::IsNotNull(_));
            Ok((Expr::IsNull { expr: Box::new(expr), negated }, DataType::Bool))
        }
        ast::Expr::Cast { expr, data_type, format: None, .. } => {
            let to = cast_target(data_type, at)?;
            let (inner, _) = compile(expr, scope)?;
            Ok((Expr::Cast { expr: Box::new(inner), to }, to))
        }
        ast::Expr::Function(f) => Err(SqlError::unsupported(
            format!(
                "function {}; supported are COUNT, SUM, AVG, MIN, MAX, and TUMBLE/HOP/SESSION with their _START/_END",
                f.name
            ),
            at,
        )),
        other => Err(SqlError::unsupported(format!("expression {other}"), at)),
    }
}

fn literal(v: &ast::Value, at: Location) -> Result<(Expr, DataType), SqlError> {
    match v {
        ast::Value::Number(n, _) => {
            if let Ok(i) = n.parse::<i64>() {
                Ok((Expr::Literal(Value::Int(i)), DataType::Int))
            } else {
                let f: f64 = n
                    .parse()
                    .map_err(|_| SqlError::invalid(format!("bad number {n}"), at))?;
                Ok((Expr::Literal(Value::Float(f)), DataType::Float))
            }
        }
        ast::Value::SingleQuotedString(s) => {
            Ok((Expr::Literal(Value::Str(s.as_str().into())), DataType::Str))
        }
        ast::Value::Boolean(b) => Ok((Expr::Literal(Value::Bool(*b)), DataType::Bool)),
        other => Err(SqlError::unsupported(format!("literal {other}"), at)),
    }
}

fn binary_op(op: &BinaryOperator, at: Location) -> Result<BinOp, SqlError> {
    Ok(match op {
        BinaryOperator::Plus => BinOp::Add,
        BinaryOperator::Minus => BinOp::Sub,
        BinaryOperator::Multiply => BinOp::Mul,
        BinaryOperator::Divide => BinOp::Div,
        BinaryOperator::Modulo => BinOp::Mod,
        BinaryOperator::Eq => BinOp::Eq,
        BinaryOperator::NotEq => BinOp::NotEq,
        BinaryOperator::Lt => BinOp::Lt,
        BinaryOperator::LtEq => BinOp::LtEq,
        BinaryOperator::Gt => BinOp::Gt,
        BinaryOperator::GtEq => BinOp::GtEq,
        BinaryOperator::And => BinOp::And,
        BinaryOperator::Or => BinOp::Or,
        other => return Err(SqlError::unsupported(format!("operator {other}"), at)),
    })
}

/// The result type of `l op r`, or None when the operands don't fit the operator.
fn binary_type(op: BinOp, l: DataType, r: DataType) -> Option<DataType> {
    use DataType::*;
    match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod => match (l, r) {
            (Float, t) | (t, Float) if is_numeric(t) => Some(Float),
            (Timestamp, Int) | (Int, Timestamp) if matches!(op, BinOp::Add | BinOp::Sub) => {
                Some(Timestamp)
            }
            (a, b) if is_numeric(a) && is_numeric(b) => Some(Int),
            _ => None,
        },
        BinOp::Eq | BinOp::NotEq | BinOp::Lt | BinOp::LtEq | BinOp::Gt | BinOp::GtEq => {
            let comparable = (is_numeric(l) && is_numeric(r)) || l == r;
            comparable.then_some(Bool)
        }
        BinOp::And | BinOp::Or => (l == Bool && r == Bool).then_some(Bool),
    }
}

fn cast_target(t: &ast::DataType, at: Location) -> Result<DataType, SqlError> {
    let text = t.to_string().to_ascii_uppercase();
    let base = text.split('(').next().unwrap_or("").trim();
    Ok(match base {
        "BIGINT" | "INT" | "INTEGER" | "SMALLINT" | "TINYINT" | "INT64" => DataType::Int,
        "DOUBLE" | "DOUBLE PRECISION" | "FLOAT" | "REAL" | "DECIMAL" | "NUMERIC" | "FLOAT64" => {
            DataType::Float
        }
        "VARCHAR" | "STRING" | "TEXT" | "CHAR" | "CHARACTER VARYING" => DataType::Str,
        "BOOLEAN" | "BOOL" => DataType::Bool,
        "TIMESTAMP" => DataType::Timestamp,
        _ => return Err(SqlError::unsupported(format!("CAST to {t}"), at)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bids() -> Schema {
        Schema::new([
            ("auction", DataType::Int),
            ("bidder", DataType::Int),
            ("price", DataType::Int),
            ("channel", DataType::Str),
            ("date_time", DataType::Timestamp),
        ])
    }

    fn err(sql: &str) -> String {
        parse_query(sql, &bids()).expect_err(sql).to_string()
    }

    #[test]
    fn projection_with_filter_and_alias() {
        let plan = parse_query(
            "SELECT auction, price * 0.908 AS euro FROM bid WHERE auction % 123 = 0",
            &bids(),
        )
        .unwrap();
        assert_eq!(plan.source, "bid");
        assert!(plan.filter.is_some());
        let names: Vec<_> = plan.output_schema.names().collect();
        assert_eq!(names, ["auction", "euro"]);
        assert_eq!(plan.output_schema.columns[1].data_type, DataType::Float);
    }

    #[test]
    fn windows_in_flink_syntax() {
        let plan = parse_query(
            "SELECT auction, COUNT(*) AS n, HOP_START(date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND) AS ws \
             FROM bid GROUP BY auction, HOP(date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)",
            &bids(),
        )
        .unwrap();
        let PlanKind::Aggregate(agg) = &plan.kind else {
            panic!("not windowed")
        };
        assert_eq!(
            agg.window,
            WindowSpec::Hop {
                slide_ms: 2_000,
                size_ms: 10_000
            }
        );
        let names: Vec<_> = plan.output_schema.names().collect();
        assert_eq!(names, ["auction", "n", "ws", "window_start", "window_end"]);

        for (sql, want) in [
            (
                "TUMBLE(date_time, INTERVAL '10' SECOND)",
                WindowSpec::Tumble { size_ms: 10_000 },
            ),
            (
                "TUMBLE(date_time, INTERVAL '1 MINUTE')",
                WindowSpec::Tumble { size_ms: 60_000 },
            ),
            (
                "SESSION(date_time, INTERVAL '10' SECOND)",
                WindowSpec::Session { gap_ms: 10_000 },
            ),
        ] {
            let plan = parse_query(
                &format!("SELECT bidder, MAX(price) FROM bid GROUP BY bidder, {sql}"),
                &bids(),
            )
            .unwrap();
            let PlanKind::Aggregate(agg) = &plan.kind else {
                panic!()
            };
            assert_eq!(agg.window, want, "{sql}");
        }
    }

    #[test]
    fn errors_name_the_construct_and_position() {
        let e = err("SELECT a.auction FROM bid a JOIN person p ON a.bidder = p.id");
        assert!(e.contains("JOIN") && e.contains("line 1"), "{e}");
        let e = err("SELECT nope FROM bid");
        assert!(
            e.contains("unknown column 'nope'") && e.contains("line 1, column 8"),
            "{e}"
        );
        let e = err("SELECT auction, COUNT(*) FROM bid GROUP BY auction");
        assert!(e.contains("GROUP BY without a window"), "{e}");
        let e = err("SELECT price, COUNT(*) FROM bid GROUP BY auction, TUMBLE(date_time, INTERVAL '1' SECOND)");
        assert!(e.contains("column 'price' must appear in GROUP BY"), "{e}");
        let e = err("SELECT UPPER(channel) FROM bid");
        assert!(e.contains("unsupported SQL") && e.contains("UPPER"), "{e}");
        let e = err("SELECT * FROM bid ORDER BY price");
        assert!(e.contains("ORDER BY"), "{e}");
        let e = err("SELEC * FROM bid");
        assert!(e.starts_with("SQL syntax error"), "{e}");
        let e = err("SELECT COUNT(*) FROM bid GROUP BY HOP(date_time, INTERVAL '10' SECOND, INTERVAL '2' SECOND)");
        assert!(e.contains("slide comes first"), "{e}");
        let e = err("SELECT COUNT(*) FROM bid GROUP BY TUMBLE(date_time, INTERVAL '1' YEAR)");
        assert!(e.contains("INTERVAL unit"), "{e}");
        let e = err("SELECT channel + 1 FROM bid");
        assert!(e.contains("cannot apply"), "{e}");
        let e = err("SELECT COUNT(*) FROM bid");
        assert!(e.contains("aggregates need GROUP BY"), "{e}");
        let e = err("SELECT SUM(channel) FROM bid GROUP BY TUMBLE(date_time, INTERVAL '1' SECOND)");
        assert!(e.contains("numeric"), "{e}");
        let e = err("SELECT TUMBLE_START(date_time, INTERVAL '2' SECOND) FROM bid GROUP BY TUMBLE(date_time, INTERVAL '1' SECOND)");
        assert!(e.contains("differ from the GROUP BY window"), "{e}");
        let e = err("SELECT auction FROM bid WHERE price");
        assert!(e.contains("WHERE must be a boolean"), "{e}");
    }
}
