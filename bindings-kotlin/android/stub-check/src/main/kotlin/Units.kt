// Stand-ins for androidx.health.connect.client.units (stub check only).
package androidx.health.connect.client.units
class Mass(val inKilograms: Double)
class Length(val inMeters: Double)
class Energy(val inKilocalories: Double)
class Power(val inKilocaloriesPerDay: Double)
class Pressure(val inMillimetersOfMercury: Double)
class Temperature(val inCelsius: Double)
class Percentage(val value: Double)
class BloodGlucose(val inMilligramsPerDeciliter: Double)
