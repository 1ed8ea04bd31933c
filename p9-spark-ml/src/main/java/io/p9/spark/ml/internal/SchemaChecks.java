package io.p9.spark.ml.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Schema validation with messages that name the stage, the column, the expected and the actual type:
 * {@code CnnFeaturizer[uid]: column 'image' must be struct<...> but was binary}.
 */
public final class SchemaChecks {
  private SchemaChecks() {}

  /**
   * {@return the field {@code column} of {@code schema}} It must be the only column Spark SQL takes for that name
   * ({@link #sameName}): an input that has it twice (as after a join on an expression) is ambiguous to Spark,
   * and a stage must not check one of the columns and read the other.
   *
   * @param stage the stage that checks, named in the message
   * @param schema the input schema
   * @param column the column's name, exactly
   * @throws IllegalArgumentException listing the columns that exist if it is not there, or those of that name
   *     if there are several
   */
  public static StructField field(Identifiable stage, StructType schema, String column) {
    StructField found = null;
    List<String> same = new ArrayList<>();
    for (StructField f : schema.fields()) {
      if (f.name().equals(column) && found == null) {
        found = f;
      }
      if (sameName(f.name(), column)) {
        same.add(f.name());
      }
    }
    if (found == null) {
      throw new IllegalArgumentException(name(stage) + ": column '" + column + "' does not exist; columns: "
          + Arrays.toString(schema.fieldNames()));
    }
    if (same.size() > 1) {
      throw new IllegalArgumentException(name(stage) + ": column '" + column + "' is ambiguous: the input has "
          + same.size() + " columns of that name " + same + "; rename or drop all but one first");
    }
    return found;
  }

  /**
   * Checks that {@code column} exists with the type {@code expected} (nullability aside). Where the two types
   * print alike (Spark ML's and the old {@code mllib} vectors are both "vector") the message adds their
   * classes; for old vectors or a numeric array where a vector is expected, it says how to convert them.
   *
   * @param stage the stage that checks, named in the message
   * @param schema the input schema
   * @param column the column's name, exactly
   * @param expected its type
   * @throws IllegalArgumentException if the column is missing or of another type
   */
  public static void require(Identifiable stage, StructType schema, String column, DataType expected) {
    DataType actual = field(stage, schema, column).dataType();
    if (!sameType(expected, actual)) {
      String want = expected.simpleString();
      String got = actual.simpleString();
      String hint = "";
      if (want.equals(got)) {
        want += " (" + expected.getClass().getName() + ")";
        got += " (" + actual.getClass().getName() + ")";
      }
      if (actual.getClass().getName().equals("org.apache.spark.mllib.linalg.VectorUDT")) {
        hint = "; convert old mllib vectors with org.apache.spark.mllib.util.MLUtils.convertVectorColumnsToML";
      } else if (expected.sameType(SQLDataTypes.VectorType()) && actual instanceof ArrayType a
          && a.elementType() instanceof NumericType) {
        hint = "; convert an array column with org.apache.spark.ml.functions.array_to_vector";
      }
      throw new IllegalArgumentException(name(stage) + ": column '" + column + "' must be " + want
          + " but was " + got + hint);
    }
  }

  /**
   * Checks that {@code column} is not in {@code schema} yet (an output column). Names are compared as Spark
   * SQL resolves them: ignoring case unless {@code spark.sql.caseSensitive} is true, since
   * {@code withColumn("label", ...)} would otherwise replace an input column {@code Label} silently.
   *
   * @param stage the stage that checks, named in the message
   * @param schema the input schema
   * @param column the output column's name
   * @throws IllegalArgumentException if the schema has it
   */
  public static void requireAbsent(Identifiable stage, StructType schema, String column) {
    for (String existing : schema.fieldNames()) {
      if (sameName(existing, column)) {
        throw new IllegalArgumentException(name(stage) + ": output column '" + column + "' already exists"
            + (existing.equals(column) ? "" : " as '" + existing + "' (spark.sql.caseSensitive is false)")
            + "; choose another name or drop it first");
      }
    }
  }

  /**
   * Checks that a stage's output {@code columns} differ from each other and are not in {@code schema} yet,
   * both as Spark SQL compares names ({@link #sameName}).
   *
   * @param stage the stage that checks, named in the message
   * @param schema the input schema
   * @param columns the output columns' names
   * @throws IllegalArgumentException if two are the same or the schema has one
   */
  public static void requireNewColumns(Identifiable stage, StructType schema, List<String> columns) {
    for (int i = 0; i < columns.size(); i++) {
      for (int j = i + 1; j < columns.size(); j++) {
        if (sameName(columns.get(i), columns.get(j))) {
          throw new IllegalArgumentException(name(stage) + ": output columns must differ, were " + columns);
        }
      }
    }
    for (String c : columns) {
      requireAbsent(stage, schema, c);
    }
  }

  /**
   * {@return whether Spark SQL takes two column names for the same column (the session's case sensitivity)}
   *
   * @param a a column name
   * @param b another
   */
  public static boolean sameName(String a, String b) {
    return SQLConf.get().caseSensitiveAnalysis() ? a.equals(b) : a.equalsIgnoreCase(b);
  }

  /** Types equal ignoring nullability (as Spark's image source and our stages differ only there). */
  static boolean sameType(DataType a, DataType b) {
    if (a instanceof StructType sa && b instanceof StructType sb) {
      if (sa.fields().length != sb.fields().length) {
        return false;
      }
      for (int i = 0; i < sa.fields().length; i++) {
        if (!sa.fields()[i].name().equals(sb.fields()[i].name())
            || !sameType(sa.fields()[i].dataType(), sb.fields()[i].dataType())) {
          return false;
        }
      }
      return true;
    }
    return a.sameType(b);
  }

  /**
   * The top-level column {@code name}, taken as it is, as {@link #field} finds it: quoted, so that a dot in the
   * name is part of it rather than a path into a struct ({@code functions.col("a.b")} is field b of column a).
   *
   * @param name the column's name
   * @return the column
   */
  public static Column column(String name) {
    return functions.col("`" + name.replace("`", "``") + "`");
  }

  /**
   * {@return the stage's name in messages: {@code SimpleClassName[uid]}}
   *
   * @param stage the stage
   */
  public static String name(Identifiable stage) {
    return stage.getClass().getSimpleName() + "[" + stage.uid() + "]";
  }
}
