// Stand-ins for androidx.health.connect.client.records.metadata (stub check only).
package androidx.health.connect.client.records.metadata
class DataOrigin(val packageName: String)
class Device(val manufacturer: String?, val model: String?, val type: Int)
class Metadata(val id: String, val dataOrigin: DataOrigin, val device: Device?)
